/**
 * Feature compression building blocks in the FAISS mould: a seeded RNG, PCA / whitening, k-means and
 * product quantization with asymmetric distance tables. Pure TypeScript on typed arrays, so the
 * same trained blobs load in Workers and Node.
 */
export { Rng, deriveSeed } from './rng.ts';
export { symmetricEigen, type SymmetricEigen } from './eigen.ts';
export { PCAModel, trainPCA, pcaApply, type PCATrainOptions, type PCAApplyOptions } from './pca.ts';
export { kmeans, nearestCentroid, type KMeansOptions } from './kmeans.ts';
export { ProductQuantizer, trainPQ, type PQTrainOptions, type PQMetric } from './pq.ts';
