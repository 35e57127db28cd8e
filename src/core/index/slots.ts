/**
 * Dense slot bookkeeping shared by the in-memory indexes: ids map to consecutive slots so vectors
 * or codes sit in one packed array; a delete moves the last slot into the hole (the caller moves
 * its data the same way) so scans never skip gaps.
 */
import type { Metadata, VectorRecord } from './vector-index.ts';

export interface Slot { id: string; namespace?: string; metadata?: Metadata }

export class SlotTable {
  readonly slots: Slot[] = [];
  private byId = new Map<string, number>();

  get size(): number {
    return this.slots.length;
  }

  slotOf(id: string): number | undefined {
    return this.byId.get(id);
  }

  /** The slot for id (appended when new), with its namespace and metadata replaced. */
  assign(id: string, namespace?: string, metadata?: Metadata): number {
    let slot = this.byId.get(id);
    if (slot === undefined) {
      slot = this.slots.length;
      this.byId.set(id, slot);
    }
    this.slots[slot] = { id, namespace, metadata };
    return slot;
  }

  /** Frees id's slot; `move(from, to)` must copy the caller's data of slot `from` into `to`. */
  remove(id: string, move: (from: number, to: number) => void): boolean {
    const slot = this.byId.get(id);
    if (slot === undefined) return false;
    const last = this.slots.length - 1;
    if (slot !== last) {
      this.slots[slot] = this.slots[last];
      this.byId.set(this.slots[slot].id, slot);
      move(last, slot);
    }
    this.slots.pop();
    this.byId.delete(id);
    return true;
  }

  /** Vectorize getByIds: the records of the known ids, values supplied by the index. */
  records(ids: string[], values: (slot: number, id: string) => Float32Array): VectorRecord[] {
    const out: VectorRecord[] = [];
    for (const id of ids) {
      const slot = this.byId.get(id);
      if (slot === undefined) continue;
      const s = this.slots[slot];
      out.push({ id, values: values(slot, id), namespace: s.namespace, metadata: s.metadata });
    }
    return out;
  }
}
