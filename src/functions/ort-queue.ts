/**
 * The part of an OnnxRunner that Node and Workers share: one InferenceSession per model, runs on
 * it serialised (a session is not re-entrant, and concurrent requests in one isolate share it),
 * the single float32 output copied out before its tensor is released. The runtime adapters differ
 * only in how onnxruntime-web is imported and how the session is created.
 */
import type * as ort from 'onnxruntime-web';
import type { OnnxRunner } from '../core/signals/embedding.ts';

export interface QueuedSession {
  session: Promise<ort.InferenceSession>;
  /** Tail of this session's run queue. */
  queue: Promise<unknown>;
}

export function queuedRunner(load: () => QueuedSession, Tensor: typeof ort.Tensor): OnnxRunner {
  return {
    run(inputName, data, dims, outputName) {
      const l = load();
      const job = l.queue.then(async () => {
        const s = await l.session;
        const results = await s.run({ [inputName]: new Tensor('float32', data, dims) }, [outputName]);
        const out = results[outputName];
        if (!out) throw new Error(`the model has no output "${outputName}" (outputs: ${s.outputNames.join(', ')})`);
        if (out.type !== 'float32') throw new Error(`output "${outputName}" is ${out.type}, expected float32`);
        const copy = new Float32Array(out.data as Float32Array);
        out.dispose();
        return copy;
      });
      l.queue = job.catch(() => undefined);
      return job;
    },
  };
}
