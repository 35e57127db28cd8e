/**
 * Workers adapter for the embedding signal: an OnnxRunner on onnxruntime-web's WASM backend.
 *
 * Workers forbid compiling WebAssembly from bytes at run time, but onnxruntime-web 1.30 can only be
 * handed its engine as bytes (env.wasm.wasmBinary), which its Emscripten glue passes to
 * WebAssembly.instantiate(bytes, imports). So the Worker imports ort-wasm-simd-threaded.wasm as a
 * module (wrangler turns a .wasm import into a precompiled WebAssembly.Module), we set wasmBinary
 * to a small marker buffer, and wrap WebAssembly.instantiate: called with the marker, it
 * instantiates the imported Module instead and returns the { instance, module } pair the glue
 * expects; anything else goes to the original. The 'onnxruntime-web/wasm' entry resolves to
 * ort.wasm.bundle.min.mjs in workerd, which carries the glue inline (no dynamic import) and, with
 * wasmBinary set and one thread, never fetches, spawns workers or needs a script URL.
 *
 * Caller (the Worker entry):
 *   import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm'; // WebAssembly.Module
 *   import tinyModel from '../../models/tiny-encoder.onnx';           // ArrayBuffer ([[rules]] Data)
 *   const runner = createEdgeOnnxRunner(tinyModel, ortWasm);
 * One InferenceSession per model buffer per isolate (created on first run, then cached); runs on a
 * session are serialised, since concurrent requests in one isolate share it and it is not re-entrant.
 */
import * as ort from 'onnxruntime-web/wasm';
import { queuedRunner, type QueuedSession } from '../ort-queue.ts';
import type { OnnxRunner } from '../../core/signals/embedding.ts';

/** Bytes that stand in for the engine binary; recognised by the instantiate wrapper. */
const MARKER_BYTES = new TextEncoder().encode('copycat:ort-wasm-module-marker');
const MARKER = MARKER_BYTES.buffer as ArrayBuffer;

let engine: WebAssembly.Module | null = null;

function isMarker(source: unknown): boolean {
  if (source === MARKER) return true;
  let bytes: Uint8Array | null = null;
  if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else if (ArrayBuffer.isView(source)) {
    if (source.buffer === MARKER) return true;
    bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  }
  if (!bytes || bytes.length !== MARKER_BYTES.length) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== MARKER_BYTES[i]) return false;
  return true;
}

/**
 * Points onnxruntime-web at the precompiled engine module. Idempotent; the first module wins
 * (there is one engine per isolate). Called by createEdgeOnnxRunner, exported for tests.
 */
export function initOrtForWorkers(wasmModule: WebAssembly.Module): void {
  if (engine) return;
  if (!(wasmModule instanceof WebAssembly.Module)) {
    throw new TypeError(
      'initOrtForWorkers needs the WebAssembly.Module of onnxruntime-web/ort-wasm-simd-threaded.wasm (import it in the Worker)',
    );
  }
  engine = wasmModule;
  const original = WebAssembly.instantiate.bind(WebAssembly) as (...args: unknown[]) => Promise<unknown>;
  const patched = (source: unknown, imports?: WebAssembly.Imports): Promise<unknown> => {
    if (engine && isMarker(source)) {
      const module = engine;
      return (original(module, imports) as Promise<WebAssembly.Instance>).then((instance) => ({ instance, module }));
    }
    return original(source, imports);
  };
  (WebAssembly as { instantiate: unknown }).instantiate = patched;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = MARKER;
  ort.env.logLevel = 'error';
}


const sessions = new WeakMap<object, QueuedSession>();

function load(model: Uint8Array | ArrayBuffer): QueuedSession {
  let l = sessions.get(model);
  if (!l) {
    const bytes = model instanceof Uint8Array ? model : new Uint8Array(model);
    const session = ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    // A failed load is not cached, so a later request can retry.
    session.catch(() => sessions.delete(model));
    l = { session, queue: Promise.resolve() };
    sessions.set(model, l);
  }
  return l;
}

/**
 * OnnxRunner for the ONNX model in `model` (e.g. an imported .onnx Data module), running on the
 * engine `wasmModule` (the imported onnxruntime-web/ort-wasm-simd-threaded.wasm). Cheap to call per
 * request: runners for the same buffer object share the isolate's session and its run queue.
 */
export function createEdgeOnnxRunner(model: Uint8Array | ArrayBuffer, wasmModule: WebAssembly.Module): OnnxRunner {
  initOrtForWorkers(wasmModule);
  return queuedRunner(() => load(model), ort.Tensor);
}
