// The work of `relayd replay`: read the results file, stream its samples to the daemon in batches
// (each acknowledged once durable, re-sent across reconnects by RelaydClient), finish the run, and
// print a summary: samples sent, run id and link.
import { basename } from 'node:path';
import { stat } from 'node:fs/promises';
import { K6JsonError, readK6JsonResults, RelaydClient, RelaydClientError, type RunEnd } from '../../client/index.js';
import type { StreamSample } from '../../protocol/index.js';
import { CLIENT_EXIT, daemonUrl } from '../daemon-client.js';
import { resolveArgv } from '../effective-config.js';
import { ReplayProgress } from './replay-progress.js';

/** k6's "aborted by system" (§7): how a replay that could not complete ends its run. */
const ABORTED_BY_SYSTEM = 6;

export interface ReplaySummary {
  readonly file: string;
  readonly runId: string;
  readonly link: string | null;
  readonly provisional: boolean;
  readonly samples: number;
}

/**
 * Batches of at most `size` samples, except that a batch never ends between two samples of the same
 * time: k6 writes an HTTP request's samples together, with one time, and a v1 run needs them in one batch.
 */
export async function* batchesOf(samples: AsyncIterable<StreamSample>, size: number): AsyncGenerator<StreamSample[]> {
  let batch: StreamSample[] = [];
  for await (const sample of samples) {
    if (batch.length >= size && sample.time !== batch[batch.length - 1]?.time) {
      yield batch;
      batch = [];
    }
    batch.push(sample);
  }
  if (batch.length > 0) yield batch;
}

export async function runReplay(argv: Readonly<Record<string, unknown>>): Promise<number> {
  const file = String(argv.file);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    process.stderr.write(`relayd: cannot read ${file}: ${(err as Error).message}\n`);
    return CLIENT_EXIT.usage;
  }
  const batchSize = Number(argv['batch-size']);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    process.stderr.write('relayd: --batch-size must be a positive integer\n');
    return CLIENT_EXIT.usage;
  }
  const url = daemonUrl(argv);
  const token = resolveArgv(argv).token?.text || undefined;
  const reading = readK6JsonResults(file);
  const progress = new ReplayProgress(process.stderr, size);
  let client: RelaydClient;
  try {
    const name = typeof argv.name === 'string' ? argv.name : basename(file).replace(/\.gz$/, '');
    const protocol = argv.protocol === 'v1' || argv.protocol === 'v2' ? argv.protocol : undefined;
    client = await RelaydClient.create(
      { url, ...(token && { token }), onAck: () => progress.update(reading.bytesRead(), client.stats.samplesAcked) },
      { name, ...(protocol && { protocol }) },
    );
  } catch (err) {
    if (err instanceof RelaydClientError) return refused(err);
    process.stderr.write(`relayd: no relayd answered at ${url} (${(err as Error).message}); is it running? (--url to point elsewhere)\n`);
    return CLIENT_EXIT.unreachable;
  }
  let samples = 0;
  let end: RunEnd = { runStatus: Number(argv['run-status']) };
  let failure: Error | null = null;
  try {
    for await (const batch of batchesOf(reading.samples, batchSize)) {
      await client.send(batch);
      samples += batch.length;
    }
  } catch (err) {
    if (!(err instanceof K6JsonError) && !(err instanceof RelaydClientError)) throw err;
    failure = err;
    end = { runStatus: ABORTED_BY_SYSTEM };
  }
  try {
    // Also after a bad line: the run exists, and ending it now spares it the run timeout.
    await client.finish(end);
  } catch (err) {
    if (!(err instanceof RelaydClientError)) throw err;
    failure ??= err;
  }
  progress.done(reading.bytesRead(), client.stats.samplesAcked);
  const summary: ReplaySummary = { file, runId: client.runId, link: client.link, provisional: client.provisional, samples };
  if (failure !== null) {
    process.stderr.write(`relayd: replay of ${file} stopped after ${samples} samples: ${failure.message}; run ${client.runId} was finished as aborted\n`);
    return CLIENT_EXIT.failure;
  }
  process.stdout.write(argv.json === true ? `${JSON.stringify(summary)}\n` : describeSummary(summary));
  return CLIENT_EXIT.ok;
}

function describeSummary(summary: ReplaySummary): string {
  const lines = [`replayed ${summary.samples.toLocaleString('en-US')} samples from ${summary.file} into run ${summary.runId}`];
  if (summary.link !== null) lines.push(`link: ${summary.link}${summary.provisional ? ' (the cloud was unreachable: relayd creates the run there later)' : ''}`);
  return `${lines.join('\n')}\n`;
}

function refused(err: RelaydClientError): number {
  process.stderr.write(`relayd: relayd refused the replay: ${err.message}\n`);
  return CLIENT_EXIT.failure;
}
