/**
 * Node adapter for the embedding signal: an OnnxRunner on onnxruntime-web's WASM backend (the same
 * engine the Worker runs, so Node and edge embeddings agree), single-threaded, no proxy worker.
 * The WASM binary is read from node_modules once; one InferenceSession per model path is cached
 * for the life of the process, and runs on a session are serialised (a session is not re-entrant).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import * as ort from 'onnxruntime-web';
import { queuedRunner, type QueuedSession } from '../ort-queue.ts';
import {
  createEmbeddingSignal,
  parseEncoderConfig,
  type EmbeddingSignalOptions,
  type EncoderConfig,
  type OnnxRunner,
} from '../../core/signals/embedding.ts';
import { createDescriptorSignal, packFromBytes } from '../../core/signals/descriptor.ts';
import type { Signal } from '../../core/signals/signal.ts';

const require = createRequire(import.meta.url);
let envReady = false;

function initOrtEnv(): void {
  if (envReady) return;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = readFileSync(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
  ort.env.logLevel = 'error';
  envReady = true;
}


const sessions = new Map<string, QueuedSession>();

function load(modelPath: string): QueuedSession {
  const key = resolve(modelPath);
  let l = sessions.get(key);
  if (!l) {
    initOrtEnv();
    const session = readFile(key).then((bytes) =>
      ort.InferenceSession.create(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      }),
    );
    // A failed load is not cached, so a later call can retry (e.g. after the file is written).
    session.catch(() => sessions.delete(key));
    l = { session, queue: Promise.resolve() };
    sessions.set(key, l);
  }
  return l;
}

/**
 * OnnxRunner for the model file at `modelPath`. The session is created on first run and cached per
 * resolved path for the life of the process; runners for the same path share it and its queue.
 */
export function createNodeOnnxRunner(modelPath: string): OnnxRunner {
  return queuedRunner(() => load(modelPath), ort.Tensor);
}

/** Reads and validates an encoder config JSON; `modelPath` resolves its `file` next to it. */
export async function loadEncoderConfig(configPath: string): Promise<{ config: EncoderConfig; modelPath: string }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read encoder config ${configPath}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const config = parseEncoderConfig(json);
  return { config, modelPath: resolve(dirname(configPath), config.file) };
}

/** The embedding signal for the encoder described by `configPath` (e.g. models/tiny-encoder.json). */
export async function loadNodeEmbeddingSignal(
  configPath: string,
  opts?: EmbeddingSignalOptions & { modelPath?: string },
): Promise<Signal<Float32Array>> {
  const { config, modelPath } = await loadEncoderConfig(configPath);
  return createEmbeddingSignal(config, createNodeOnnxRunner(opts?.modelPath ?? modelPath), opts);
}

/**
 * The served `embed` signal for a model config: the descriptor (whitening, background
 * normalisation, PQ) when the config names a pack, else the encoder's raw embedding.
 */
export async function loadNodeModelSignal(configPath: string, o: { beta?: number } = {}): Promise<Signal> {
  const { config } = await loadEncoderConfig(configPath);
  const base = await loadNodeEmbeddingSignal(configPath);
  if (!config.pack) return base as Signal;
  const pack = packFromBytes(new Uint8Array(await readFile(resolve(dirname(configPath), config.pack))));
  if (o.beta !== undefined) pack.beta = o.beta;
  return createDescriptorSignal(base, pack) as Signal;
}
