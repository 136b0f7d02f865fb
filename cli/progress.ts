/**
 * A progress line for long runs: shown on an interactive terminal only, never in CI, never
 * with --json (so piped and recorded output stays deterministic).
 */
export class Progress {
  private readonly enabled: boolean;
  private shown = false;

  constructor(quiet: boolean) {
    this.enabled = !quiet && process.stderr.isTTY === true && !process.env.CI;
  }

  update(text: string): void {
    if (!this.enabled) return;
    process.stderr.write(`\r\x1b[2K${text}`);
    this.shown = true;
  }

  done(): void {
    if (this.enabled && this.shown) process.stderr.write('\r\x1b[2K');
    this.shown = false;
  }
}
