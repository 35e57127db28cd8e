/**
 * Every fingerprint kind is a Signal, the way ThreatExchange models a SignalType: it names itself,
 * extracts a value from a prepared image, serializes it, compares two values, and says how it is
 * indexed. The pipeline iterates a list of signals and fusion reads similarities by name, so adding
 * a kind touches its own module and one registry line, never the pipeline.
 */
import type { RGBAImage } from '../image/types.ts';
import type { ProductQuantizer } from '../quant/pq.ts';

/** How a signal's value is put in a Vectorize-shaped index. */
export interface SignalIndexSpec {
  /** Length of the vector produced by toVector(). */
  dimensions: number;
  /** Metric the vector index should use; 'cosine' on a unit vector maps to our similarity. */
  metric: 'cosine' | 'euclidean' | 'dot-product';
  /** When set, the in-memory shortlist holds PQ codes (ADC search) instead of float vectors. */
  quantizer?: ProductQuantizer;
  /** toVector() is a binary code (±a per dimension): the shortlist holds bits (HammingIndex). */
  binary?: boolean;
}

export interface Signal<T = unknown> {
  /** Stable name used as the key in stored fingerprints, API responses and fusion weights. */
  readonly name: string;
  /** Bumped whenever extract() changes output, so stale stored values can be detected. */
  readonly version: number;
  readonly index: SignalIndexSpec;
  extract(image: RGBAImage): T | Promise<T>;
  serialize(value: T): Uint8Array;
  deserialize(bytes: Uint8Array): T;
  /**
   * Similarity in [0, 1], 1 = identical, between a query value and a stored reference value.
   * Not necessarily symmetric (PDQ tries the query's dihedral variants).
   */
  similarity(query: T, reference: T): number;
  /** Vector for the candidate index (the shortlist); the exact similarity() re-ranks it. */
  toVector(value: T): Float32Array;
  /** All vectors a query is looked up with (e.g. the 8 dihedral variants, the original first); default [toVector]. */
  queryVectors?(value: T): Float32Array[];
}

/** A fingerprint: every signal's value by signal name. */
export type Fingerprint = Record<string, unknown>;
