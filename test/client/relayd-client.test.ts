// The typed client the package exports (`import { RelaydClient } from 'relayd'`, resolved through
// package.json "exports" to the built dist/src/index.js): it streams a run, survives connections cut
// mid-stream (a real TCP proxy that resets them), hands a run over to another client, and reports
// relayd's refusals as errors with relayd's codes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RelaydClient, RelaydClientError, type StreamSample } from 'relayd';
import { addSamples, assertSameTotals, emptyTotals, upstreamTotals } from '../helpers/metric-totals.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { streamBatch } from '../helpers/stream-traffic.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const TRAFFIC = { requestsPerBatch: 10, startMs: Date.now() - 300_000 };
const FAST = { 'metric-push-interval': '100ms', 'aggregation-calc-interval': '100ms', 'max-tags': '16' };

describe('RelaydClient', () => {
  const stack = useRelaydStack(FAST);
  let proxy: TcpProxy;
  let proxyUrl: string;
  before(async () => {
    proxy = new TcpProxy(stack.relayd.url);
    proxyUrl = await proxy.listen();
  });
  after(() => proxy.close());

  async function upstreamOf(runId: string, sent: readonly StreamSample[]): Promise<void> {
    const run = stack.emulator.runs.get(runId)!;
    await eventually(() => run.finish !== undefined, 15_000, 'the finish upstream');
    assertSameTotals(upstreamTotals(run.pushes), addSamples(emptyTotals(), sent), 'upstream totals');
  }

  it('streams every sample exactly once through connections cut mid-stream', async () => {
    const client = await RelaydClient.create({ url: proxyUrl, token: 'testtoken', maxInFlight: 4, reconnectDelayMs: { initial: 20, max: 200 } }, { name: 'cut twice' });
    const sent: StreamSample[] = [];
    for (let seq = 1; seq <= 60; seq++) {
      const batch = streamBatch(seq, TRAFFIC);
      await client.send(batch);
      sent.push(...batch);
      if (seq === 20 || seq === 40) proxy.cut();
    }
    await client.finish();
    assert.ok(client.stats.reconnects >= 2, `the client reconnected (${client.stats.reconnects})`);
    assert.equal(client.stats.samplesAcked, sent.length);
    await upstreamOf(client.runId, sent);
  });

  it('hands a run over: a second client resumes after the last batch relayd has', async () => {
    const first = await RelaydClient.create({ url: stack.relayd.url }, { name: 'handed over', protocol: 'v1' });
    const sent: StreamSample[] = [];
    for (let seq = 1; seq <= 10; seq++) {
      const batch = streamBatch(seq, TRAFFIC);
      await first.send(batch);
      sent.push(...batch);
    }
    await first.flush();
    first.close();

    const second = await RelaydClient.resume({ url: stack.relayd.url }, first.runId);
    assert.equal(second.nextSeq, 11);
    for (let seq = 11; seq <= 20; seq++) {
      const batch = streamBatch(seq, TRAFFIC);
      await second.send(batch);
      sent.push(...batch);
    }
    await second.finish();
    const run = stack.emulator.runs.get(first.runId)!;
    await upstreamOf(first.runId, sent);
    assert.ok(run.pushes.every((push) => push.route?.kind === 'v1-push'), 'the run asked for v1 and went upstream as v1');
  });

  it("fails send() with relayd's error code when a batch is refused for good", async () => {
    const client = await RelaydClient.create({ url: stack.relayd.url }, { name: 'refused' });
    const tags = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`tag${i}`, 'x']));
    await client.send([{ metric: 'vus', type: 'gauge', time: Date.now(), tags, value: 1 }]);
    await assert.rejects(client.flush(), (err: unknown) => err instanceof RelaydClientError && err.code === 'RELAYD_TOO_MANY_TAGS' && err.status === 400);
  });
});

describe('RelaydClient against a relayd that requires runner tokens', () => {
  const stack = useRelaydStack({ 'accept-token': 'runner-secret' });

  it('is refused without the token, with the HTTP status, and accepted with it', async () => {
    await assert.rejects(RelaydClient.create({ url: stack.relayd.url }, { name: 'no token' }), (err: unknown) => err instanceof RelaydClientError && err.status === 401);
    const client = await RelaydClient.create({ url: stack.relayd.url, token: 'runner-secret' }, { name: 'with token' });
    assert.match(client.runId, /^\d+$/);
    await client.finish();
  });
});
