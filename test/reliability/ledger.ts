// The ledger of a torture scenario: every push a runner got a 2xx for, set against what the cloud
// emulator received and what relayd keeps (dead letters, a store moved aside). The promise of
// relayd is that `lost` is 0 whatever happened in between; `duplicated` counts deliveries of a key
// the cloud had already received (at-least-once: allowed, with the idempotency key kept).
import { spawnSync } from 'node:child_process';
import type { RecordedRequest } from '../emulator/emulator.js';
import { RELAYD_BIN } from '../helpers/relayd.js';

export interface LedgerLine {
  readonly scenario: string;
  readonly acknowledged: number;
  readonly samplesAcknowledged: number;
  /** Acknowledged pushes the cloud received (each counted once). */
  readonly delivered: number;
  readonly samplesDelivered: number;
  /** Pushes the cloud received again, with a key it had already seen. */
  readonly duplicated: number;
  readonly deadLettered: number;
  /** Acknowledged pushes not in the cloud but kept in a store moved aside, where a person can get them. */
  readonly keptAside: number;
  readonly lost: number;
  /** Pushes the runner got no 2xx for (the daemon died first) that were delivered anyway. */
  readonly deliveredUnacknowledged: number;
}

export interface Settlement {
  /** Every push the cloud recorded, in arrival order, whatever the run. */
  readonly received: readonly Pick<RecordedRequest, 'idempotencyKey'>[];
  readonly deadLettered?: ReadonlySet<string>;
  readonly keptAside?: ReadonlySet<string>;
}

export class Ledger {
  readonly #acked = new Map<string, number>();

  /** A push the runner got a 2xx for, with its sample count. */
  ack(key: string, samples: number): void {
    this.#acked.set(key, samples);
  }

  ackAll(keys: Iterable<string>, samplesEach: number): void {
    for (const key of keys) this.ack(key, samplesEach);
  }

  get acknowledged(): number {
    return this.#acked.size;
  }

  settle(scenario: string, { received, deadLettered = new Set(), keptAside = new Set() }: Settlement): LedgerLine {
    const seen = new Set<string>();
    let duplicated = 0;
    for (const { idempotencyKey: key } of received) {
      if (key === undefined) continue;
      if (seen.has(key)) duplicated += 1;
      seen.add(key);
    }
    let delivered = 0;
    let samplesDelivered = 0;
    let samplesAcknowledged = 0;
    let dead = 0;
    let aside = 0;
    let lost = 0;
    for (const [key, samples] of this.#acked) {
      samplesAcknowledged += samples;
      if (seen.has(key)) {
        delivered += 1;
        samplesDelivered += samples;
      } else if (deadLettered.has(key)) dead += 1;
      else if (keptAside.has(key)) aside += 1;
      else lost += 1;
    }
    const deliveredUnacknowledged = [...seen].filter((key) => !this.#acked.has(key)).length;
    const line: LedgerLine = {
      scenario,
      acknowledged: this.#acked.size,
      samplesAcknowledged,
      delivered,
      samplesDelivered,
      duplicated,
      deadLettered: dead,
      keptAside: aside,
      lost,
      deliveredUnacknowledged,
    };
    console.log(formatLedger(line));
    return line;
  }
}

export function formatLedger(line: LedgerLine): string {
  const aside = line.keptAside > 0 ? `, kept aside ${line.keptAside}` : '';
  return (
    `# ledger ${line.scenario}: acknowledged ${line.acknowledged} (${line.samplesAcknowledged} samples), ` +
    `delivered ${line.delivered} (${line.samplesDelivered} samples), duplicated ${line.duplicated}, ` +
    `dead-lettered ${line.deadLettered}${aside}, lost ${line.lost} ` +
    `(delivered without an ack: ${line.deliveredUnacknowledged})`
  );
}

/** Idempotency keys of the dead letters in a stopped relayd's store, through `relayd export --dead-letters`. */
export function deadLetterKeys(dataDir: string): Set<string> {
  const result = spawnSync(process.execPath, [RELAYD_BIN, 'export', '--dead-letters', '--data-dir', dataDir], { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`relayd export --dead-letters failed (${result.status}): ${result.stderr}`);
  return keysOfExport(result.stdout);
}

/** Idempotency keys of the pushes in `relayd export` output. */
export function keysOfExport(ndjson: string): Set<string> {
  const keys = new Set<string>();
  for (const line of ndjson.split('\n')) {
    if (line === '') continue;
    const entry = JSON.parse(line) as { kind: string; headers: Record<string, string> };
    const key = entry.headers['k6-idempotency-key'];
    if (entry.kind === 'push' && key !== undefined) keys.add(key);
  }
  return keys;
}
