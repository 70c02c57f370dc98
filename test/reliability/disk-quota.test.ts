// Torture: the disk quota reached in the middle of a run, then freed. With the cloud down, a run
// fills relayd's store up to --max-disk: pushes then get 503 with Retry-After and a JSON error,
// /readyz says why, a log line too, and nothing accepted is dropped. When the cloud comes back the
// backlog drains, relayd takes pushes again by itself, and every acknowledged push arrives.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';
import { newTally, pushUntil } from './load.js';
import { Stage } from './stage.js';

interface Readiness {
  ready: boolean;
  conditions: { condition: string; reason: string }[];
}

async function readiness(url: string): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Readiness };
}

describe('torture: disk quota reached mid-run, then freed', () => {
  let stage: Stage;
  before(async () => {
    stage = await Stage.open('relayd-torture-quota-');
  });
  after(() => stage.close());

  it('refuses with 503 at the quota, keeps what it accepted, and recovers by itself as the backlog drains', async () => {
    const { emulator } = stage;
    const options = stage.options('data', { 'max-disk': '1MiB' });
    const relayd = await stage.spawn(options);
    const runner = new ScriptedRunner(relayd.url);
    assert.equal((await runner.create()).status, 200);
    await emulator.down();

    let refusal: { status: number; retryAfter: string | undefined; body: string } | undefined;
    while (refusal === undefined) {
      const response = await runner.push();
      if (response.status !== 200) refusal = { status: response.status, retryAfter: response.headers['retry-after'] as string, body: response.body.toString() };
    }
    const filled = runner.acked.length;
    assert.equal(refusal.status, 503);
    assert.equal(refusal.retryAfter, '5');
    const error = (JSON.parse(refusal.body) as { error: { message: string; details: { relayd_code: string[] } } }).error;
    assert.deepEqual(error.details.relayd_code, ['RELAYD_QUOTA_REACHED']);
    assert.match(error.message, /disk quota \(--max-disk\)/);
    assert.ok(filled > 100, `the store took ${filled} pushes before the quota`);

    const full = await readiness(relayd.url);
    assert.equal(full.status, 503);
    assert.equal(full.body.ready, false);
    assert.match(full.body.conditions.find((c) => c.condition === 'disk-quota')?.reason ?? '', /of 1048576 bytes \(--max-disk\)/);
    assert.match(relayd.stdout(), /reached its disk quota/);
    assert.equal((await fetch(`${relayd.url}/healthz`)).status, 200, 'alive while not ready');

    // The runner keeps trying, as a runner would, while the cloud is still away: all refused.
    const stop = new AbortController();
    const tally = newTally();
    const pushing = pushUntil(runner, stop.signal, { concurrency: 2, tally });
    await sleep(1000);
    assert.equal(runner.acked.length, filled, 'nothing more was taken while full');

    await emulator.up();
    await eventually(async () => (await readiness(relayd.url)).status === 200, 30_000, 'ready again once the backlog drained');
    await eventually(() => runner.acked.length > filled + 20, 15_000, 'pushes taken again');
    stop.abort();
    await pushing;
    assert.ok((tally.refused.get(503) ?? 0) > 0, 'pushes were refused while full');
    assert.match(relayd.stdout(), /below its disk quota again/);

    const { line } = await stage.finishAndSettle('disk quota reached then freed', relayd, options['data-dir']!, [{ runner, protocol: 'v2' }]);
    assert.equal(line.lost, 0, 'no acknowledged push was lost, none deleted to make room');
  });
});
