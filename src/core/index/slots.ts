/**
 * Dense slot bookkeeping shared by the in-memory indexes: ids map to consecutive slots so vectors
 * or codes sit in one packed array; a delete moves the last slot into the hole (the caller moves
 * its data the same way) so scans never skip gaps.
 *
 * Memory matters here as much as the codes do (a shard should hold ~1M references): no object per
 * slot, namespaces interned as a u32 per slot, metadata in a side map only for slots that have
 * any (the catalog's indexes never do). What is left per slot is the id map entry and pointer.
 */
import { matchesFilter, type Metadata, type VectorRecord } from './vector-index.ts';

export interface Slot { id: string; namespace?: string; metadata?: Metadata }

export class SlotTable {
  private ids: string[] = [];
  private ns = new Uint32Array(1024);
  /** Interned namespaces; index 0 is "none". */
  private names: (string | undefined)[] = [undefined];
  private nameIndex = new Map<string, number>();
  private meta = new Map<number, Metadata>();
  private byId = new Map<string, number>();

  get size(): number {
    return this.ids.length;
  }

  slotOf(id: string): number | undefined {
    return this.byId.get(id);
  }

  idAt(slot: number): string {
    return this.ids[slot];
  }

  /** The slot's id, namespace and metadata (allocates: for results, not for scans). */
  entry(slot: number): Slot {
    return { id: this.ids[slot], namespace: this.names[this.ns[slot]], metadata: this.meta.get(slot) };
  }

  /** Whether the slot passes a query's namespace and metadata filter (no allocation: scans call it). */
  accepts(slot: number, namespace?: string, filter?: Metadata): boolean {
    if (namespace !== undefined && this.names[this.ns[slot]] !== namespace) return false;
    return filter === undefined || matchesFilter(this.meta.get(slot), filter);
  }

  /** The slot for id (appended when new), with its namespace and metadata replaced. */
  assign(id: string, namespace?: string, metadata?: Metadata): number {
    let slot = this.byId.get(id);
    if (slot === undefined) {
      slot = this.ids.length;
      this.byId.set(id, slot);
      this.ids.push(id);
      if (slot >= this.ns.length) {
        const grown = new Uint32Array(this.ns.length * 2);
        grown.set(this.ns);
        this.ns = grown;
      }
    }
    this.ns[slot] = this.intern(namespace);
    if (metadata) this.meta.set(slot, metadata);
    else this.meta.delete(slot);
    return slot;
  }

  /** Frees id's slot; `move(from, to)` must copy the caller's data of slot `from` into `to`. */
  remove(id: string, move: (from: number, to: number) => void): boolean {
    const slot = this.byId.get(id);
    if (slot === undefined) return false;
    const last = this.ids.length - 1;
    if (slot !== last) {
      const movedId = this.ids[last];
      this.ids[slot] = movedId;
      this.ns[slot] = this.ns[last];
      const m = this.meta.get(last);
      if (m) this.meta.set(slot, m);
      else this.meta.delete(slot);
      this.byId.set(movedId, slot);
      move(last, slot);
    } else {
      this.meta.delete(slot);
    }
    this.meta.delete(last);
    this.ids.pop();
    this.byId.delete(id);
    return true;
  }

  /** Vectorize getByIds: the records of the known ids, values supplied by the index. */
  records(ids: string[], values: (slot: number, id: string) => Float32Array): VectorRecord[] {
    const out: VectorRecord[] = [];
    for (const id of ids) {
      const slot = this.byId.get(id);
      if (slot === undefined) continue;
      const s = this.entry(slot);
      out.push({ id, values: values(slot, id), namespace: s.namespace, metadata: s.metadata });
    }
    return out;
  }

  private intern(namespace: string | undefined): number {
    if (namespace === undefined) return 0;
    let i = this.nameIndex.get(namespace);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(namespace);
      this.nameIndex.set(namespace, i);
    }
    return i;
  }
}
