// The key layout of the store. Keys are ASCII and sort the way the queue reads them:
//   r!<runId>              run record (JSON), written by runs/ through DurableQueue.saveRun
//   i!<runId>!<seq>        pending item of a run (its inbox); seq is 16 hex digits, global and
//                          increasing, so a run's items iterate in arrival order
//   o!<runId>!<seq>        outbox of a processed (aggregated) run: upstream-ready requests made from
//                          its inbox by src/process; same seq counter, so they too iterate in order
//   a!<runId>              a processed run's aggregator state (JSON), written in the same batch as the
//                          outbox items it produced and the inbox items it consumed
//   d!<runId>!<seq>        dead letter: an item the cloud refused for good, with the reason
//   s!<runId>              a run's ledger (JSON, runs/run-ledger.ts): what it received, persisted,
//                          delivered and dead-lettered; written with the next batch after it changed
//   x!<runId>              a run's results (JSON, results/store.ts): whole-run sinks, open buckets,
//                          thresholds and the seq of the last item they include; written unsynced
//                          about once a second, and before any item they do not include yet leaves
//                          the inbox (DurableQueue.guardRemovals)
//   x!<runId>!b!<t>        one closed results bucket of a run (t: its start, Unix ms, 16 digits)
//   x!<runId>!d!<t>        one point of a run's delivery series (t: wall-clock Unix ms, 16 digits)
//   m!seq                  the last seq handed out (written in every append batch)
//   q!<key>                an entry found unreadable when the store was opened, moved here with its
//                          raw bytes (kept for a person; relayd check lists them)
// Run ids are validated at ingest (RUN_ID_PATTERN), so '!' never appears inside one.

export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const SEQ_KEY = 'm!seq';

export function runKey(runId: string): string {
  return `r!${runId}`;
}

export function seqHex(seq: number): string {
  return seq.toString(16).padStart(16, '0');
}

export function itemKey(runId: string, seq: number): string {
  return `i!${runId}!${seqHex(seq)}`;
}

export function outboxKey(runId: string, seq: number): string {
  return `o!${runId}!${seqHex(seq)}`;
}

export function processStateKey(runId: string): string {
  return `a!${runId}`;
}

export function statsKey(runId: string): string {
  return `s!${runId}`;
}

export function deadKey(runId: string, seq: number): string {
  return `d!${runId}!${seqHex(seq)}`;
}

export const RESULTS_PREFIX = 'x!';

export function resultsKey(runId: string): string {
  return `x!${runId}`;
}

/** A results point of a run: `b` a bucket, `d` a delivery point; `t` Unix ms. */
export function resultsPointKey(runId: string, kind: 'b' | 'd', t: number): string {
  return `x!${runId}!${kind}!${String(t).padStart(16, '0')}`;
}

/** The key prefix of each box of pending items (see ItemBox). */
export const BOX_PREFIX = { inbox: 'i!', outbox: 'o!' } as const;

/** Bounds that select every key with the given prefix. */
export function prefixRange(prefix: string): { gt: string; lt: string } {
  return { gt: prefix, lt: `${prefix}~` };
}

export function parseEntryKey(key: string): { runId: string; seq: number } {
  const [, runId = '', seq = ''] = key.split('!');
  return { runId, seq: Number.parseInt(seq, 16) };
}
