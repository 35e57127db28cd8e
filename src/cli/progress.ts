/** A one-line progress bar on stderr (a plain line per 10% when stderr is not a terminal, e.g. CI logs). */
export class Progress {
  private done = 0;
  private lastPct = -1;
  private readonly start = Date.now();
  constructor(private readonly label: string, private readonly total: number, private readonly quiet = false) {}

  tick(n = 1): void {
    this.done += n;
    if (this.quiet) return;
    const pct = this.total ? Math.floor((100 * this.done) / this.total) : 100;
    const tty = process.stderr.isTTY;
    if (!tty && (pct === this.lastPct || pct % 10 !== 0)) return;
    if (tty && pct === this.lastPct && this.done !== this.total) return;
    this.lastPct = pct;
    const secs = (Date.now() - this.start) / 1000;
    const rate = this.done / Math.max(secs, 1e-3);
    const eta = rate > 0 ? (this.total - this.done) / rate : 0;
    const width = 24, fill = Math.round((width * pct) / 100);
    const bar = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]`;
    const line = `${this.label} ${bar} ${this.done}/${this.total} ${rate.toFixed(1)}/s eta ${eta.toFixed(0)}s`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  }

  end(): void {
    if (!this.quiet && process.stderr.isTTY) process.stderr.write('\n');
  }
}
