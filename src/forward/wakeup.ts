// A level-triggered wake-up for one worker: a notify() that comes while the worker is busy is not
// lost, the next wait() returns at once.
export class Wakeup {
  #pending = false;
  #resolve: (() => void) | null = null;

  notify(): void {
    this.#pending = true;
    this.#resolve?.();
  }

  async wait(signal: AbortSignal): Promise<void> {
    if (!this.#pending && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.#resolve = done;
        signal.addEventListener('abort', done, { once: true });
      });
      this.#resolve = null;
    }
    this.#pending = false;
  }
}
