/**
 * The CLI's persistent local index: an append-only JSON-lines file, one record per indexed image
 * (or a tombstone), each line written and fsynced before the image counts as indexed, so a killed
 * `copycat index` loses at most the image it was working on and a rerun skips what is already there.
 * Node 20 has no built-in SQLite; a log file needs no native dependency.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { Catalog } from '../core/index/catalog.ts';
import type { FusionModel } from '../core/fusion/fusion.ts';
import type { Metadata } from '../core/index/vector-index.ts';
import { packFingerprint, unpackFingerprint } from '../core/signals/fingerprint.ts';
import type { Fingerprint, Signal } from '../core/signals/signal.ts';

interface Line { id: string; ns?: string; meta?: Metadata; fp?: string; deleted?: boolean }

export class LocalDb {
  readonly catalog: Catalog;
  private fd: number;

  private constructor(private readonly signals: Signal[], fusion: FusionModel) {
    this.catalog = new Catalog(signals, fusion);
    this.fd = -1;
  }

  static async open(path: string, signals: Signal[], fusion: FusionModel): Promise<LocalDb> {
    const db = new LocalDb(signals, fusion);
    if (existsSync(path)) await db.replay(readFileSync(path, 'utf8'));
    db.fd = openSync(path, 'a');
    return db;
  }

  private async replay(text: string): Promise<void> {
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      let line: Line;
      try {
        line = JSON.parse(raw);
      } catch {
        continue; // a torn last line from a crash: that image was never acknowledged
      }
      const ns = line.ns ?? 'default';
      if (line.deleted || !line.fp) {
        await this.catalog.remove(ns, line.id);
        continue;
      }
      const fp = unpackFingerprint(this.signals, base64ToBytes(line.fp));
      if (this.signals.every((s) => fp[s.name] !== undefined)) {
        await this.catalog.add({ id: line.id, namespace: ns, metadata: line.meta, fingerprint: fp });
      }
    }
  }

  has(id: string, namespace = 'default'): boolean {
    return this.catalog.get(namespace, id) !== undefined;
  }

  async add(id: string, fingerprint: Fingerprint, metadata?: Metadata, namespace = 'default'): Promise<void> {
    const line: Line = { id, ns: namespace, meta: metadata, fp: bytesToBase64(packFingerprint(this.signals, fingerprint)) };
    this.write(line);
    await this.catalog.add({ id, namespace, metadata, fingerprint });
  }

  async remove(id: string, namespace = 'default'): Promise<boolean> {
    if (!this.has(id, namespace)) return false;
    this.write({ id, ns: namespace, deleted: true });
    return this.catalog.remove(namespace, id);
  }

  private write(line: Line): void {
    writeSync(this.fd, JSON.stringify(line) + '\n');
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export function bytesToBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

export function base64ToBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64'));
}
