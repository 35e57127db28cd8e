// Compiles the hand-written WebAssembly text in src/core/**/wasm/*.wat to .wasm beside it (wabt).
// The .wasm files are committed: Workers import compiled modules and cannot build them at run time.
// `--check` compiles in memory and fails if a committed .wasm differs from its source.
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import initWabt from 'wabt';

const check = process.argv.includes('--check');
const wabt = await initWabt();
const dirs = ['src/core/local/wasm'];
let stale = 0;
for (const dir of dirs) {
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.wat'))) {
    const mod = wabt.parseWat(f, readFileSync(join(dir, f), 'utf8'), { simd: true });
    mod.validate();
    const bytes = Buffer.from(mod.toBinary({}).buffer);
    const out = join(dir, f.replace(/\.wat$/, '.wasm'));
    if (check) {
      if (!existsSync(out) || !readFileSync(out).equals(bytes)) {
        console.error(`${out} is stale: run npm run build:wasm`);
        stale++;
      }
    } else {
      writeFileSync(out, bytes);
      console.log(`${out}: ${bytes.length} bytes`);
    }
  }
}
process.exit(stale ? 1 : 0);
