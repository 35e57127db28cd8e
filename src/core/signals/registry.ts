/**
 * The signal registry: the only list of fingerprint kinds. Adding a kind is one module and one line
 * here. Signals that need a runtime (the ONNX encoder) are built by the runtime adapter and passed in.
 */
import { grayHistogramSignal, hsvHistogramSignal } from './histogram.ts';
import { pdqSignal } from './pdq.ts';
import type { Signal } from './signal.ts';

export const CLASSIC_SIGNALS: Signal[] = [pdqSignal as Signal, hsvHistogramSignal as Signal, grayHistogramSignal as Signal];

/** Resolves names like "pdq,hist_hsv,embed" against the classic signals plus runtime-built extras. */
export function resolveSignals(names: string[], extra: Signal[] = []): Signal[] {
  const all = new Map([...CLASSIC_SIGNALS, ...extra].map((s) => [s.name, s]));
  return names.map((n) => {
    const s = all.get(n);
    if (!s) throw new Error(`unknown signal "${n}"; known: ${[...all.keys()].join(', ')}`);
    return s;
  });
}
