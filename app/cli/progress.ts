/**
 * A progress bar with ETA on stderr. On a terminal it redraws one line; elsewhere (logs, CI) it
 * prints a plain line at most every `logEverySeconds`, so log files stay readable.
 */
export class ProgressBar {
  private readonly started = Date.now();
  private lastLog = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly logEverySeconds = 15,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(done: number, note = ''): void {
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = frac > 0 ? (elapsed / frac) * (1 - frac) : NaN;
    const percent = `${(frac * 100).toFixed(0).padStart(3)}%`;
    const text = `${this.label} ${percent} ${done}/${this.total} ${formatSeconds(elapsed)} elapsed, ETA ${formatSeconds(eta)}${note ? ` ${note}` : ''}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round(frac * width);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
    } else if (elapsed - this.lastLog >= this.logEverySeconds || done >= this.total) {
      this.lastLog = elapsed;
      this.stream.write(`${text}\n`);
    }
  }

  done(note = ''): void {
    this.update(this.total, note);
    if (this.tty) this.stream.write('\n');
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
