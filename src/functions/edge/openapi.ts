/** OpenAPI 3.1 description of the edge API, served at GET /openapi.json. */
const err = { $ref: '#/components/responses/Error' };
const image = {
  required: true,
  content: {
    'image/jpeg': { schema: { type: 'string', format: 'binary' } },
    'image/png': { schema: { type: 'string', format: 'binary' } },
    'image/webp': { schema: { type: 'string', format: 'binary' } },
    'multipart/form-data': {
      schema: { type: 'object', properties: { image: { type: 'string', format: 'binary' }, metadata: { type: 'string', description: 'JSON object' } }, required: ['image'] },
    },
  },
};
const ns = { name: 'namespace', in: 'query', schema: { type: 'string', default: 'default' } };
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' } };

export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'copycat', version: '0.1.0', description: 'Image copy detection at the edge.' },
  paths: {
    '/health': { get: { summary: 'Liveness', responses: { 200: { description: 'ok' } } } },
    '/v1/images/{id}': {
      put: { summary: 'Index an image under an id (replaces an existing one); its local features go to the origin (localFeatures.status says whether they did)', parameters: [id, ns], requestBody: image, responses: { 201: { description: 'indexed' }, 200: { description: 'replaced' }, 400: err, 413: err, 415: err, 422: err } },
      get: { summary: 'An indexed image: metadata, size, PDQ hash', parameters: [id, ns], responses: { 200: { description: 'found' }, 404: err } },
      delete: { summary: 'Remove an image', parameters: [id, ns], responses: { 200: { description: 'deleted' }, 404: err } },
    },
    '/v1/images': { get: { summary: 'List ids', parameters: [ns, { name: 'limit', in: 'query' }, { name: 'after', in: 'query' }], responses: { 200: { description: 'page of ids' } } } },
    '/v1/search': {
      post: {
        summary: 'Is this image a copy of an indexed one?',
        parameters: [
          ns,
          { name: 'topK', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 } },
          { name: 'verify', in: 'query', description: 'check the candidates in the verification band at the origin', schema: { type: 'boolean', default: true } },
        ],
        requestBody: image,
        responses: {
          200: {
            description:
              '{matches: [{id, score, signals, verification: {status: verified|rejected|not_checked|no_reference_features|unavailable, inliers, inlierRatio, overlap, mirrored, transform}, metadata}], ' +
              'verdict: copy|review|no_match, threshold, verification: {status: done|skipped|disabled|unavailable, reason, band, checked, verified, ms}}',
          },
          400: err, 413: err, 415: err, 422: err,
        },
      },
    },
    '/v1/fingerprint': {
      post: { summary: 'Fingerprint an image without indexing it (PDQ hex and quality)', requestBody: image, responses: { 200: { description: '{width, height, pdq, pdqQuality, signals}' }, 400: err, 413: err, 415: err, 422: err } },
    },
    '/v1/stats': { get: { summary: 'Counts, signals and the fusion model', responses: { 200: { description: 'stats' } } } },
  },
  components: {
    responses: {
      Error: {
        description: 'Error',
        content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } } } } },
      },
    },
  },
};
