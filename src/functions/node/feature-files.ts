/**
 * The origin's feature store on Node: one file per reference, `<dir>/<namespace>/<id>.cclf`.
 * A write goes to a temporary file, is fsynced and renamed over the old one, so a crash leaves
 * either the old or the new features, never half of either. Ids and namespaces are validated by
 * the app (letters, digits, . _ -, no leading dot), so they are safe as file names.
 */
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, readdirSync, statSync } from 'node:fs';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeatureStore } from '../origin/feature-store.ts';

export class FileFeatureStore implements FeatureStore {
  private images = 0;
  private bytes = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const ns of readdirSync(dir)) {
      for (const f of readdirSync(join(dir, ns))) {
        if (!f.endsWith('.cclf')) continue;
        this.images++;
        this.bytes += statSync(join(dir, ns, f)).size;
      }
    }
  }

  private path(namespace: string, id: string): string {
    return join(this.dir, namespace, `${id}.cclf`);
  }

  async get(namespace: string, id: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.path(namespace, id)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async put(namespace: string, id: string, bytes: Uint8Array): Promise<void> {
    mkdirSync(join(this.dir, namespace), { recursive: true });
    const path = this.path(namespace, id);
    const old = sizeOf(path);
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    if (old === null) this.images++;
    this.bytes += bytes.length - (old ?? 0);
  }

  async delete(namespace: string, id: string): Promise<boolean> {
    const path = this.path(namespace, id);
    const old = sizeOf(path);
    if (old === null) return false;
    await unlink(path);
    this.images--;
    this.bytes -= old;
    return true;
  }

  async *list() {
    for (const namespace of readdirSync(this.dir)) {
      for (const f of readdirSync(join(this.dir, namespace))) if (f.endsWith('.cclf')) yield { namespace, id: f.slice(0, -5) };
    }
  }

  async stats() {
    return { images: this.images, bytes: this.bytes, backend: `files:${this.dir}` };
  }
}

function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}
