/** Progress on standard error, so that standard output holds only the results table. */

const TICK_MS = 1000;
/** Away from a terminal, a line every this often is enough to show the bench is alive. */
const LOG_EVERY_MS = 5000;

/** Tells the person waiting which workload runs and how far it got. */
export class Progress {
  private label = '';
  private readonly tty = process.stderr.isTTY === true;

  /** Names what runs now (e.g. "W1 throughput"). */
  begin(label: string): void {
    this.label = label;
    this.line('starting');
  }

  /** A one-off line under the current label. */
  line(text: string): void {
    process.stderr.write(`${this.tty ? '\r\x1b[K' : ''}[bench] ${this.label}: ${text}\n`);
  }

  /** Shows `describe()` every second on a terminal (rewriting one line), every 5 s elsewhere, until `stop()`. */
  every(describe: () => string): { stop(): void } {
    const since = Date.now();
    let lastLogged = since;
    const timer = setInterval(() => {
      const text = `${describe()} (${((Date.now() - since) / 1000).toFixed(0)} s)`;
      if (this.tty) process.stderr.write(`\r\x1b[K[bench] ${this.label}: ${text}`);
      else if (Date.now() - lastLogged >= LOG_EVERY_MS) {
        lastLogged = Date.now();
        process.stderr.write(`[bench] ${this.label}: ${text}\n`);
      }
    }, TICK_MS);
    timer.unref();
    return {
      stop: () => {
        clearInterval(timer);
        if (this.tty) process.stderr.write('\r\x1b[K');
      },
    };
  }
}
