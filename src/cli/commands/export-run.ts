// The work of `relayd export`: one JSON line per request the store holds, read-only. A line carries
// everything needed to send the request again by hand (method, path, headers, body), except the
// runner's token.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { StoreReader, upstreamPath, type DeadLetter, type StoredItem } from '../../queue/index.js';
import { EXIT, onStore } from '../offline-store.js';

export interface ExportLine {
  readonly source: 'inbox' | 'outbox' | 'dead-letter';
  readonly runId: string;
  /** The cloud's id of the run, when known (a provisional run has none until its create went through). */
  readonly upstreamId: string | null;
  readonly seq: number;
  readonly kind: string;
  readonly protocol: string | null;
  readonly method: 'POST';
  /** Where the request goes on the cloud's ingest API; null for a raw stream batch, which is processed first. */
  readonly path: string | null;
  readonly headers: Record<string, string>;
  /** The body exactly as stored, base64; empty when it is in `bodyFile`. */
  readonly body: string;
  /** A body kept in a file (a multipart create's archive, a push of a MiB or more), relative to the data dir. */
  readonly bodyFile?: string;
  readonly receivedAt: number;
  readonly samples: number;
  readonly reason?: string;
  readonly deadAt?: number;
}

function lineOf(source: ExportLine['source'], item: StoredItem | DeadLetter, upstreamId: string | null): ExportLine {
  const { authorization, ...headers } = item.headers;
  const letter = item as Partial<DeadLetter>;
  return {
    source,
    runId: item.runId,
    upstreamId,
    seq: item.seq,
    kind: item.kind,
    protocol: item.protocol ?? null,
    method: 'POST',
    path: upstreamPath(item, upstreamId ?? item.runId),
    headers: authorization === undefined ? headers : { ...headers, authorization: '[redacted]' },
    body: Buffer.from(item.body).toString('base64'),
    ...(item.bodyFile === undefined ? {} : { bodyFile: `bodies/${item.bodyFile.name}` }),
    receivedAt: item.receivedAt,
    samples: item.samples,
    ...(letter.reason === undefined ? {} : { reason: letter.reason, deadAt: letter.deadAt }),
  };
}

async function upstreamIdOf(reader: StoreReader, runId: string): Promise<string | null> {
  const record = await reader.runRecord(runId);
  if (record === undefined) return null;
  const { upstreamId } = JSON.parse(record) as { upstreamId?: unknown };
  return typeof upstreamId === 'string' ? upstreamId : null;
}

async function* linesOfRun(reader: StoreReader, runId: string): AsyncGenerator<ExportLine> {
  const upstreamId = await upstreamIdOf(reader, runId);
  for await (const item of reader.pending(runId, 'inbox')) yield lineOf('inbox', item, upstreamId);
  for await (const item of reader.pending(runId, 'outbox')) yield lineOf('outbox', item, upstreamId);
  for await (const letter of reader.deadLetters(runId)) yield lineOf('dead-letter', letter, upstreamId);
}

async function* linesOfDeadLetters(reader: StoreReader): AsyncGenerator<ExportLine> {
  const upstreamIds = new Map<string, string | null>();
  for await (const letter of reader.deadLetters()) {
    if (!upstreamIds.has(letter.runId)) upstreamIds.set(letter.runId, await upstreamIdOf(reader, letter.runId));
    yield lineOf('dead-letter', letter, upstreamIds.get(letter.runId) ?? null);
  }
}

async function writeLines(lines: AsyncGenerator<ExportLine>, out: Writable): Promise<number> {
  let count = 0;
  for await (const line of lines) {
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
    count += 1;
  }
  return count;
}

export function runExport(dataDir: string, what: { runId: string } | { deadLetters: true }, output: string | null): Promise<number> {
  return onStore(async () => {
    const reader = await StoreReader.open(dataDir);
    try {
      if ('runId' in what && (await reader.runRecord(what.runId)) === undefined) {
        process.stderr.write(`relayd: no run ${what.runId} in the store ${dataDir}\n`);
        return EXIT.problems;
      }
      const out = output === null ? process.stdout : createWriteStream(output, { mode: 0o600 });
      const lines = 'runId' in what ? linesOfRun(reader, what.runId) : linesOfDeadLetters(reader);
      const count = await writeLines(lines, out);
      if (out !== process.stdout) {
        out.end();
        await once(out, 'finish');
      }
      process.stderr.write(`relayd: exported ${count} line(s)\n`);
      return EXIT.ok;
    } finally {
      await reader.close();
    }
  });
}
