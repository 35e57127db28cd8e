/**
 * The fuzz target, in a worker thread so that a hang or a crash of the WASM decoders is caught by
 * the parent (which times each case out and restarts the worker) instead of stopping the run.
 */
import { parentPort } from 'node:worker_threads';
import { ImageInputError } from '../../core/image/types.ts';
import { fingerprintBytes } from '../../core/pipeline.ts';
import { resolveSignals } from '../../core/signals/registry.ts';
import { initNodeCodecs } from '../../functions/node/codecs.ts';

export interface FuzzReply {
  id: number;
  outcome: 'ok' | 'rejected' | 'crash';
  detail?: string;
}

const signals = resolveSignals(['pdq', 'hist_hsv', 'hist_gray']);
const ready = initNodeCodecs();

parentPort!.on('message', async (m: { id: number; bytes: Uint8Array }) => {
  await ready;
  let reply: FuzzReply;
  try {
    await fingerprintBytes(signals, m.bytes, { maxBytes: 20 * 1024 * 1024, maxPixels: 40_000_000 });
    reply = { id: m.id, outcome: 'ok' };
  } catch (err) {
    // A clean, typed rejection is the right answer to bad input; anything else is a crash.
    reply = err instanceof ImageInputError
      ? { id: m.id, outcome: 'rejected', detail: err.code }
      : { id: m.id, outcome: 'crash', detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
  parentPort!.postMessage(reply);
});
