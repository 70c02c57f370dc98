// Runners for the torture scenarios: pushers that keep sending real captured bodies through a
// ScriptedRunner until told to stop, through kills, outages and refusals, the way a k6 keeps
// pushing. What relayd acknowledged is in the runner's own ledger (runner.acked).
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeV1Push, decodeV2Push } from '../../src/protocol/index.js';
import { FIXTURE_RUN_ID, loadFixture } from '../emulator/fixtures.js';
import type { ScriptedRunner } from '../helpers/runner.js';

export interface PushTally {
  /** Answers other than 2xx, by status. */
  readonly refused: Map<number, number>;
  /** Requests that got no answer (the daemon died or was down). */
  networkErrors: number;
}

export function newTally(): PushTally {
  return { refused: new Map(), networkErrors: 0 };
}

/**
 * `concurrency` senders push through `runner` until `signal` aborts. A refused push (503 at the
 * quota, for instance) is retried after its Retry-After, capped at `maxBackoffMs`; a push without
 * an answer after a short pause (the daemon restarts).
 */
export async function pushUntil(
  runner: ScriptedRunner,
  signal: AbortSignal,
  options: { concurrency: number; tally?: PushTally; maxBackoffMs?: number },
): Promise<PushTally> {
  const tally = options.tally ?? newTally();
  const maxBackoffMs = options.maxBackoffMs ?? 200;
  const sender = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        const response = await runner.push();
        if (response.status >= 300) {
          tally.refused.set(response.status, (tally.refused.get(response.status) ?? 0) + 1);
          const retryAfterMs = Number(response.headers['retry-after'] ?? 0) * 1000;
          await sleep(Math.min(retryAfterMs || 50, maxBackoffMs));
        }
      } catch {
        tally.networkErrors += 1;
        await sleep(25);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));
  return tally;
}

/** Samples in one push of a ScriptedRunner (it always sends the same captured body). */
export async function samplesPerPush(protocol: 'v1' | 'v2'): Promise<number> {
  const kind = protocol === 'v1' ? 'v1-push' : 'v2-push';
  const push = loadFixture(protocol).find((capture) => capture.route.kind === kind)!;
  const limits = { maxDecompressedBytes: 64 * 1024 * 1024 };
  return protocol === 'v1'
    ? (await decodeV1Push(push.body, 'gzip', limits)).samples
    : decodeV2Push(push.body, 'snappy', FIXTURE_RUN_ID, limits).samples;
}
