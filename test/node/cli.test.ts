// The CLI contracts that benchmarks and users depend on, run as a subprocess like a user would.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toJpeg, toPng, toWebp } from '../support/encode-node.ts';
import { SHARED } from '../support/fixtures.ts';
import { flipHorizontal, resize, syntheticImage } from '../support/synthetic.ts';

const BIN = new URL('../../bin/copycat.js', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync('node', [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });

let dir = '';
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'copycat-cli-'));
  mkdirSync(join(dir, 'refs'));
  mkdirSync(join(dir, 'queries'));
  const truth = ['query,source,tier,transform'];
  for (let i = 0; i < 6; i++) {
    const img = syntheticImage(200 + i, 240, 180);
    writeFileSync(join(dir, 'refs', `R${i}.jpg`), await toJpeg(img, 90));
    const copy = i % 2 ? resize(img, 160, 120) : flipHorizontal(img);
    writeFileSync(join(dir, 'queries', `Q${i}.${i % 3 === 0 ? 'png' : 'webp'}`), i % 3 === 0 ? await toPng(copy) : await toWebp(copy, 60));
    truth.push(`Q${i},R${i},easy,synthetic`);
  }
  for (let i = 0; i < 4; i++) {
    writeFileSync(join(dir, 'queries', `D${i}.jpg`), await toJpeg(syntheticImage(900 + i, 240, 180), 80));
    truth.push(`D${i},,easy,distractor`);
  }
  writeFileSync(join(dir, 'truth.csv'), truth.join('\n') + '\n');
});

describe('copycat CLI', () => {
  it('predict writes query,source,score with top-K rows per query, best first, true source on top', () => {
    const out = join(dir, 'preds.csv');
    const r = cli('predict', '--refs', join(dir, 'refs'), '--queries', join(dir, 'queries'), '--out', out, '--top', '3');
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('query,source,score');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.length).toBe(10 * 3);
    for (let i = 0; i < 6; i++) {
      const mine = rows.filter((x) => x[0] === `Q${i}`);
      expect(mine[0][1]).toBe(`R${i}`);
      expect(Number(mine[0][2])).toBeGreaterThanOrEqual(Number(mine[1][2]));
    }
  });

  it('match writes the competition file source,query with file names, one row per query', () => {
    const out = join(dir, 'submit.csv');
    const r = cli('match', '--dataset', join(dir, 'refs'), '--query', join(dir, 'queries'), '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('source,query');
    expect(lines.length).toBe(11);
    expect(lines).toContain('R0.jpg,Q0.png');
    expect(lines).toContain('R1.jpg,Q1.webp');
  });

  it('fingerprint --json prints one object per file with PDQ hex and quality', () => {
    const r = cli('fingerprint', '--json', join(dir, 'refs', 'R0.jpg'), join(dir, 'truth.csv'));
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objs[0].file).toContain('R0.jpg');
    expect(objs[0].pdq).toMatch(/^[0-9a-f]{64}$/);
    expect(objs[0].pdqQuality).toBeGreaterThan(0);
    expect(objs[1].error).toMatch(/not a JPEG/);
    expect(r.status).toBe(1);
  });

  it('index keeps a persistent, resumable local index', () => {
    const db = join(dir, 'index.db');
    const first = JSON.parse(cli('index', join(dir, 'refs'), '--db', db).stdout.trim().split('\n').pop()!);
    expect(first).toMatchObject({ added: 6, skipped: 0, total: 6 });
    const again = JSON.parse(cli('index', join(dir, 'refs'), '--db', db).stdout.trim().split('\n').pop()!);
    expect(again).toMatchObject({ added: 0, skipped: 6, total: 6 });
    writeFileSync(db, readFileSync(db, 'utf8') + '{"id":"torn","fp":"AAA'); // a crash mid-line
    const torn = JSON.parse(cli('index', join(dir, 'refs'), '--db', db).stdout.trim().split('\n').pop()!);
    expect(torn.total).toBe(6);
  });

  it('exits 2 with usage on a bad command line', () => {
    const r = cli('predict', '--refs', dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing --queries/);
  });

  it.skipIf(!existsSync(join(SHARED, 'bench/score.py')))('bench prints the same metrics as bench/score.py', () => {
    const preds = join(dir, 'bench-preds.csv');
    const r = cli('bench', '--refs', join(dir, 'refs'), '--queries', join(dir, 'queries'), '--truth', join(dir, 'truth.csv'), '--out', preds, '--quiet');
    expect(r.status, r.stderr).toBe(0);
    const ours = JSON.parse(r.stdout.trim().split('\n').pop()!);
    const py = execFileSync('python3', [join(SHARED, 'bench/score.py'), join(dir, 'truth.csv'), preds], { encoding: 'utf8' });
    const theirs = JSON.parse(py.trim().split('\n').pop()!);
    expect(ours.uAP).toBeCloseTo(theirs.uAP, 10);
    expect(ours.top1).toBeCloseTo(theirs.top1, 10);
    expect(ours.recall_at_p90).toBeCloseTo(theirs.recall_at_p90, 10);
    expect(ours.top1).toBe(1);
    expect(r.stdout).toMatch(/time per image: fingerprint/);
  });

  it('bench --served answers through npm start (edge + origin) with the same ranking as in process', () => {
    const inProcess = join(dir, 'bench-preds-inproc.csv');
    const served = join(dir, 'bench-preds-served.csv');
    expect(cli('bench', '--refs', join(dir, 'refs'), '--queries', join(dir, 'queries'), '--truth', join(dir, 'truth.csv'), '--out', inProcess, '--quiet').status).toBe(0);
    const r = spawnSync('node', [BIN, 'bench', '--served', '--refs', join(dir, 'refs'), '--queries', join(dir, 'queries'), '--truth', join(dir, 'truth.csv'), '--out', served], { encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(summary).toMatchObject({ served: true, top1: 1 });
    expect(summary.verification.done).toBe(10);
    const top1 = (file: string) => readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')).filter((x, i, all) => all.findIndex((y) => y[0] === x[0]) === i).map((x) => `${x[0]}>${x[1]}`).sort();
    expect(top1(served)).toEqual(top1(inProcess));
  });
});
