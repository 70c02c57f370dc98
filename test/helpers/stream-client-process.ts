// A stream runner as its own process, for tests that kill it with SIGKILL mid-stream. It creates a
// run (or resumes one), sends generated batches (stream-traffic.ts, a pure function of the batch
// number, so a replacement process sends exactly what this one would have) up to a last batch, and
// optionally finishes. It prints one JSON line per event: {"runId"}, {"acked"}, {"finished"}.
//
//   node --import tsx stream-client-process.ts <url> <new|runId> <lastSeq> <requestsPerBatch> <startMs> <finish|keep>
import { RelaydClient } from '../../src/client/index.js';
import { streamBatch } from './stream-traffic.js';

const [url = '', run = 'new', last = '0', perBatch = '10', startMs = '0', end = 'keep'] = process.argv.slice(2);
const options = {
  url,
  maxInFlight: 4,
  reconnectDelayMs: { initial: 50, max: 500 },
  onAck: ({ seq }: { seq: number }) => process.stdout.write(`${JSON.stringify({ acked: seq })}\n`),
};
const client = run === 'new' ? await RelaydClient.create(options, { name: 'killed runner' }) : await RelaydClient.resume(options, run);
process.stdout.write(`${JSON.stringify({ runId: client.runId, nextSeq: client.nextSeq })}\n`);
const traffic = { requestsPerBatch: Number(perBatch), startMs: Number(startMs) };
for (let seq = client.nextSeq; seq <= Number(last); seq++) await client.send(streamBatch(seq, traffic));
if (end === 'finish') {
  await client.finish();
  process.stdout.write(`${JSON.stringify({ finished: true })}\n`);
} else {
  await client.flush();
  client.close();
}
