// The progress bar of `relayd replay` on a terminal: how much of the file is read, and how many
// samples relayd has acknowledged. Nothing is drawn when stderr is not a terminal (CI logs).

const WIDTH = 30;
const REDRAW_MS = 100;

/** One line: `[#########---------------------]  30%  12,345 samples acknowledged`. */
export function renderProgress(fraction: number, samplesAcked: number): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * WIDTH);
  const percent = `${Math.floor(clamped * 100)}%`.padStart(4);
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${percent}  ${samplesAcked.toLocaleString('en-US')} samples acknowledged`;
}

export class ReplayProgress {
  readonly #out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #totalBytes: number;
  #drawnAt = 0;

  constructor(out: NodeJS.WritableStream & { isTTY?: boolean }, totalBytes: number) {
    this.#out = out;
    this.#totalBytes = totalBytes;
  }

  update(bytesRead: number, samplesAcked: number, force = false): void {
    if (this.#out.isTTY !== true) return;
    const now = Date.now();
    if (!force && now - this.#drawnAt < REDRAW_MS) return;
    this.#drawnAt = now;
    this.#out.write(`\r${renderProgress(this.#totalBytes === 0 ? 1 : bytesRead / this.#totalBytes, samplesAcked)}`);
  }

  done(bytesRead: number, samplesAcked: number): void {
    this.update(bytesRead, samplesAcked, true);
    if (this.#out.isTTY === true) this.#out.write('\n');
  }
}
