// The key layout of the store. Keys are ASCII and sort the way the queue reads them:
//   r!<runId>              run record (JSON), written by runs/ through DurableQueue.saveRun
//   i!<runId>!<seq>        pending item of a run; seq is 16 hex digits, global and increasing,
//                          so a run's items iterate in arrival order
//   d!<runId>!<seq>        dead letter: an item the cloud refused for good, with the reason
//   m!seq                  the last seq handed out (written in every append batch)
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

export function deadKey(runId: string, seq: number): string {
  return `d!${runId}!${seqHex(seq)}`;
}

/** Bounds that select every key with the given prefix. */
export function prefixRange(prefix: string): { gt: string; lt: string } {
  return { gt: prefix, lt: `${prefix}~` };
}

export function parseEntryKey(key: string): { runId: string; seq: number } {
  const [, runId = '', seq = ''] = key.split('!');
  return { runId, seq: Number.parseInt(seq, 16) };
}
