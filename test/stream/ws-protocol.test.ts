// The native WebSocket stream (ws://…/v1/stream) at the protocol level: acks only once durable,
// duplicates dropped by sequence number, clear errors, bounded messages, flow control, and a run
// that reaches the cloud aggregated, with totals equal to what was streamed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { PUSH_BODY_FILE_BYTES } from '../../src/queue/index.js';
import { addSamples, assertSameTotals, emptyTotals, upstreamTotals } from '../helpers/metric-totals.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { streamBatch } from '../helpers/stream-traffic.js';
import { RawSocket } from './raw-socket.js';

const TRAFFIC = { requestsPerBatch: 20, startMs: Date.now() - 120_000 };
const CREATE = { type: 'create', name: 'stream test', vus: 10, duration: 60, thresholds: {} };

describe('the WebSocket stream', () => {
  const stack = useRelaydStack({ 'metric-push-interval': '100ms', 'aggregation-calc-interval': '100ms', 'max-ws-message-size': '256KiB' });

  async function created(): Promise<{ socket: RawSocket; runId: string }> {
    const socket = await RawSocket.open(stack.relayd.url, { authorization: 'Token testtoken' });
    socket.send(CREATE);
    const answer = await socket.next('created');
    assert.equal(answer.provisional, false);
    return { socket, runId: answer.runId as string };
  }

  it('acknowledges a batch only once it is durable, and aggregates the run into v2 with the same totals', async () => {
    const { socket, runId } = await created();
    const run = stack.relayd.daemon.runs.get(runId)!;
    const batches = [1, 2, 3, 4, 5].map((seq) => streamBatch(seq, TRAFFIC));
    for (const [i, samples] of batches.entries()) {
      socket.send({ type: 'batch', seq: i + 1, samples });
      const ack = await socket.next('ack');
      assert.equal(ack.seq, i + 1);
      assert.equal(run.record.streamSeq, i + 1, 'the ack came after the synced write of the batch and its seq');
    }
    socket.send({ type: 'finish', runStatus: 3 });
    assert.deepEqual(await socket.next('finished'), { type: 'finished', runId });
    socket.close();

    const upstream = stack.emulator.runs.get(runId)!;
    await eventually(() => upstream.finish !== undefined, 15_000, 'the finish upstream');
    assert.ok(upstream.pushes.every((push) => push.route?.kind === 'v2-push' && push.status === 200), 'v2 MetricSets the cloud decoded');
    assertSameTotals(upstreamTotals(upstream.pushes), addSamples(emptyTotals(), batches.flat()), 'upstream totals');
    assert.equal(upstream.createHeaders.authorization, 'Token testtoken', "the create went up with the stream's token");
  });

  it('drops a batch re-sent after a reconnect, by its sequence number, and acknowledges it again', async () => {
    const first = await created();
    const batches = [1, 2, 3].map((seq) => streamBatch(seq, TRAFFIC));
    first.socket.send({ type: 'batch', seq: 1, samples: batches[0] });
    first.socket.send({ type: 'batch', seq: 2, samples: batches[1] });
    await first.socket.next('ack');
    await first.socket.next('ack');
    first.socket.ws.terminate();

    const second = await RawSocket.open(stack.relayd.url);
    second.send({ type: 'resume', runId: first.runId });
    assert.deepEqual(await second.next('resumed'), { type: 'resumed', runId: first.runId, lastSeq: 2 });
    // A naive client re-sends everything: relayd takes batch 3 only.
    batches.forEach((samples, i) => second.send({ type: 'batch', seq: i + 1, samples }));
    for (const seq of [1, 2, 3]) assert.equal((await second.next('ack')).seq, seq);
    second.send({ type: 'finish', runStatus: 3 });
    await second.next('finished');

    const upstream = stack.emulator.runs.get(first.runId)!;
    await eventually(() => upstream.finish !== undefined, 15_000, 'the finish upstream');
    assertSameTotals(upstreamTotals(upstream.pushes), addSamples(emptyTotals(), batches.flat()), 'upstream totals');
  });

  it('refuses bad messages with a clear error and closes, and keeps serving', async () => {
    const cases: [unknown, string][] = [
      ['not json', 'RELAYD_BAD_JSON'],
      [{ type: 'launch' }, 'RELAYD_BAD_STREAM_MESSAGE'],
      [{ type: 'batch', seq: 1, samples: [] }, 'RELAYD_BAD_STREAM_MESSAGE'],
      [{ type: 'batch', seq: 1, samples: [{ metric: 'vus', type: 'gauge', time: 1, value: 1 }] }, 'RELAYD_STREAM_NO_RUN'],
      [{ type: 'create', vus: 1 }, 'RELAYD_BAD_CREATE'],
      [{ type: 'resume', runId: 'nope' }, 'RELAYD_UNKNOWN_RUN'],
    ];
    for (const [message, code] of cases) {
      const socket = await RawSocket.open(stack.relayd.url);
      socket.send(message);
      const error = await socket.next('error');
      assert.equal(error.code, code, JSON.stringify(message));
      assert.equal(error.retryable, false);
      assert.equal(await socket.closed, 1008);
    }
    const { socket, runId } = await created();
    socket.send({ type: 'batch', seq: 1, samples: [{ metric: 'vus', type: 'gauge', time: 'yesterday', value: 1 }] });
    const error = await socket.next('error');
    assert.match(String(error.message), /samples\[0\]\.time: expected Unix milliseconds/);
    assert.ok(stack.relayd.daemon.runs.get(runId), 'relayd still serves');
  });

  it('closes a connection whose message is larger than --max-ws-message-size (1009)', async () => {
    const { socket } = await created();
    socket.send({ type: 'batch', seq: 1, samples: [], padding: 'x'.repeat(300 * 1024) });
    assert.equal(await socket.closed, 1009);
  });

  it('refuses an upgrade anywhere but /v1/stream with a JSON error', async () => {
    const status = await new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = request(`${stack.relayd.url}/v2/stream`, { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status.code, 404);
    assert.match(status.body, /RELAYD_NOT_FOUND/);
  });
});

describe('a stream created while the cloud is down', () => {
  const stack = useRelaydStack({ 'metric-push-interval': '100ms', 'aggregation-calc-interval': '100ms', 'create-timeout': '500ms' });

  it("gets a provisional run with relayd's page, and reaches the cloud under the cloud's id once it is back", async () => {
    await stack.emulator.down();
    const socket = await RawSocket.open(stack.relayd.url);
    socket.send(CREATE);
    const created = await socket.next('created');
    assert.equal(created.provisional, true);
    assert.match(String(created.url), new RegExp(`/runs/${String(created.runId)}$`));
    const batches = [1, 2, 3].map((seq) => streamBatch(seq, TRAFFIC));
    batches.forEach((samples, i) => socket.send({ type: 'batch', seq: i + 1, samples }));
    for (const seq of [1, 2, 3]) assert.equal((await socket.next('ack')).seq, seq);
    socket.send({ type: 'finish', runStatus: 3 });
    await socket.next('finished');
    await stack.emulator.up();

    await eventually(() => [...stack.emulator.runs.values()].some((run) => run.finish !== undefined), 20_000, 'the run to be created and finished upstream');
    const run = [...stack.emulator.runs.values()].find((r) => r.finish !== undefined)!;
    assert.notEqual(run.id, created.runId, "the cloud's own id");
    assert.ok(run.pushes.every((push) => push.status === 200), 'every MetricSet carries the cloud id (the emulator checks test_run_id)');
    assertSameTotals(upstreamTotals(run.pushes), addSamples(emptyTotals(), batches.flat()), 'upstream totals');
  });

  it('takes a batch of a MiB or more through a body file, with the same totals upstream', async () => {
    const socket = await RawSocket.open(stack.relayd.url);
    socket.send(CREATE);
    const { runId } = await socket.next('created');
    const samples = streamBatch(1, { requestsPerBatch: 600, startMs: Date.now() - 120_000 });
    const text = JSON.stringify({ type: 'batch', seq: 1, samples });
    assert.ok(text.length >= PUSH_BODY_FILE_BYTES, `${text.length} bytes: kept in a file`);
    socket.send(text);
    assert.equal((await socket.next('ack')).seq, 1);
    socket.send({ type: 'finish', runStatus: 3 });
    await socket.next('finished');
    socket.close();

    await eventually(() => stack.emulator.runs.get(String(runId))?.finish !== undefined, 20_000, 'the finish upstream');
    assertSameTotals(upstreamTotals(stack.emulator.runs.get(String(runId))!.pushes), addSamples(emptyTotals(), samples), 'upstream totals');
    await eventually(async () => (await readdir(join(stack.relayd.dataDir, 'bodies'))).length === 0, 5000, 'the body file deleted');
  });
});
