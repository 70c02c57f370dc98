// GET /metrics after real traffic: what the Prometheus exposition says must match what the runner
// sent and what the cloud (the emulator) received, counted independently of relayd.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { send } from '../emulator/send.js';
import { filesBytes } from '../helpers/footprint.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { sample, scrape } from '../helpers/prometheus.js';
import { ScriptedRunner } from '../helpers/runner.js';

describe('GET /metrics', () => {
  const stack = useRelaydStack({ 'retry-initial-delay': '10ms', 'retry-max-delay': '50ms' });

  it('counts ingest, forwarding, the queue and the runs as the runner and the cloud saw them', async () => {
    const runner = new ScriptedRunner(stack.relayd.url);
    assert.equal((await runner.create()).status, 200);
    stack.emulator.setFault({ kind: 'status', status: 503, count: 1, only: 'push' });
    for (let i = 0; i < 3; i++) assert.equal((await runner.push()).status, 200);
    // A provisional id relayd never issued: refused before its body is read (no cloud run can have it).
    const unknownRun = await send(`${stack.relayd.url}/v2/metrics/90000000000000001`, { body: Buffer.from('x') });
    assert.equal(unknownRun.status, 404);
    assert.equal((await runner.finish()).status, 200);
    const run = stack.emulator.runs.get(runner.runId)!;
    await eventually(() => run.finish !== undefined, 10_000, 'the finish upstream');
    // The cloud has the finish a moment before relayd has its answer and ends the run.
    await eventually(async () => sample(await scrape(stack.relayd.url), 'relayd_runs', { state: 'finished' }) === 1, 5000, 'the run ended in relayd');

    const text = await scrape(stack.relayd.url);
    const cloudSamples = run.pushes.reduce((sum, push) => sum + push.samples, 0);
    const cloudBytes = run.pushes.reduce((sum, push) => sum + push.body.length, 0);
    assert.ok(cloudSamples > 0);

    assert.equal(sample(text, 'relayd_ingest_requests_total', { endpoint: 'create', protocol: 'v1', outcome: 'accepted' }), 1);
    assert.equal(sample(text, 'relayd_ingest_requests_total', { endpoint: 'push', protocol: 'v2', outcome: 'accepted' }), 3);
    assert.equal(sample(text, 'relayd_ingest_requests_total', { endpoint: 'push', protocol: 'v2', outcome: 'rejected' }), 1);
    assert.equal(sample(text, 'relayd_ingest_requests_total', { endpoint: 'finish', protocol: 'v1', outcome: 'accepted' }), 1);
    assert.equal(sample(text, 'relayd_ingest_samples_total', { protocol: 'v2', outcome: 'accepted' }), cloudSamples);
    assert.equal(sample(text, 'relayd_ingest_bytes_total', { protocol: 'v2', outcome: 'accepted' }), cloudBytes);
    assert.equal(sample(text, 'relayd_ingest_bytes_total', { protocol: 'v2', outcome: 'rejected' }), 0, 'a push to an unknown run is refused unread');

    // create (sent at once) + 3 pushes + finish answered 2xx; one push first answered 503.
    assert.equal(sample(text, 'relayd_forward_attempts_total', { status_class: '2xx' }), 5);
    assert.equal(sample(text, 'relayd_forward_attempts_total', { status_class: '5xx' }), 1);
    assert.equal(sample(text, 'relayd_forward_retries_total', { status_class: '5xx' }), 1);
    assert.equal(sample(text, 'relayd_forward_failures_total', { status_class: '4xx' }), undefined, 'nothing refused for good');
    assert.equal(sample(text, 'relayd_upstream_up'), 1);
    assert.equal(sample(text, 'relayd_queue_items'), 0);
    assert.equal(sample(text, 'relayd_queue_bytes'), 0);
    assert.equal(sample(text, 'relayd_queue_oldest_item_age_seconds'), 0);
    assert.equal(sample(text, 'relayd_dead_letters'), 0);
    assert.equal(sample(text, 'relayd_runs', { state: 'finished' }), 1);
    assert.equal(sample(text, 'relayd_ready'), 1);
    assert.ok((sample(text, 'relayd_process_cpu_seconds_total') ?? 0) > 0, 'process metrics under the relayd_ prefix');
    const rss = sample(text, 'relayd_process_resident_memory_bytes') ?? 0;
    assert.ok(Math.abs(rss - process.memoryUsage.rss()) < 0.2 * rss, 'the RSS of this process, where relayd runs');
    // The store is measured every second; the run's records and delivered items are on disk.
    const { dataDir } = (await (await fetch(`${stack.relayd.url}/api/v1/status`)).json()) as { dataDir: string };
    await eventually(async () => sample(await scrape(stack.relayd.url), 'relayd_store_bytes') === filesBytes(dataDir), 5000, 'the store size as on disk');
    assert.ok(filesBytes(dataDir) > 0);
    for (const line of text.split('\n').filter((l) => l.startsWith('# TYPE '))) assert.match(line, /^# TYPE relayd_/, 'every metric has the prefix');
  });

  it('shows the backlog, its age and a refused push while the cloud is away or says no', async () => {
    const runner = new ScriptedRunner(stack.relayd.url);
    assert.equal((await runner.create()).status, 200);
    await stack.emulator.down();
    try {
      for (let i = 0; i < 2; i++) assert.equal((await runner.push()).status, 200);
      await eventually(async () => sample(await scrape(stack.relayd.url), 'relayd_upstream_up') === 0, 5000, 'the upstream seen down');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const text = await scrape(stack.relayd.url);
      assert.equal(sample(text, 'relayd_queue_items'), 2);
      assert.ok(sample(text, 'relayd_queue_bytes')! > 0);
      assert.ok(sample(text, 'relayd_queue_oldest_item_age_seconds')! >= 1, 'the lag grows while nothing is delivered');
      assert.ok(sample(text, 'relayd_forward_retries_total', { status_class: 'network' })! >= 1);
      assert.equal(sample(text, 'relayd_runs', { state: 'running' }), 1);
    } finally {
      await stack.emulator.up();
    }
    stack.emulator.setFault({ kind: 'status', status: 400, count: 1, only: 'push' });
    assert.equal((await runner.push()).status, 200);
    assert.equal((await runner.finish()).status, 200);
    await eventually(async () => sample(await scrape(stack.relayd.url), 'relayd_runs', { state: 'finished' }) === 2, 10_000, 'the run ended after the outage');
    const text = await scrape(stack.relayd.url);
    assert.equal(sample(text, 'relayd_forward_failures_total', { status_class: '4xx' }), 1);
    assert.equal(sample(text, 'relayd_dead_letters'), 1);
    assert.equal(sample(text, 'relayd_upstream_up'), 1);
    assert.equal(sample(text, 'relayd_queue_items'), 0);
  });
});
