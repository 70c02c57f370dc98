// Readiness: can relayd take data right now? Parts report the conditions that stop it by name
// (the disk quota, a failed disk, shutdown); /readyz is ready while no condition is set, and lists
// them with their reasons otherwise. Notices are facts an operator must see even while ready, such
// as a store that was repaired or moved aside at start; they stay until the process ends.

export interface NotReadyCondition {
  readonly condition: string;
  readonly reason: string;
  /** Wall-clock ms since when it holds. */
  readonly since: number;
}

export interface Readiness {
  readonly ready: boolean;
  readonly conditions: NotReadyCondition[];
  readonly notices: string[];
}

export class Health {
  readonly #conditions = new Map<string, NotReadyCondition>();
  readonly #notices: string[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Sets (or updates the reason of) a condition that keeps relayd from taking data. */
  setNotReady(condition: string, reason: string): void {
    const since = this.#conditions.get(condition)?.since ?? this.#now();
    this.#conditions.set(condition, { condition, reason, since });
  }

  setReady(condition: string): void {
    this.#conditions.delete(condition);
  }

  addNotice(notice: string): void {
    this.#notices.push(notice);
  }

  isReady(): boolean {
    return this.#conditions.size === 0;
  }

  readiness(): Readiness {
    return { ready: this.isReady(), conditions: [...this.#conditions.values()], notices: [...this.#notices] };
  }
}
