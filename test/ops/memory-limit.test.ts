// A sidecar with a 256 MiB container limit must not be the container that gets OOM-killed. relayd
// runs here as a real child process inside a memory cgroup with that hard limit (as `docker run
// --memory 256m` sets), takes the heaviest v1 pushes the benchmarks send (~1.7 MiB of JSON each,
// 16 at a time) while its upstream is down, then drains the backlog when it comes back. A reduced
// version of `npm run bench -- memory-limit` (which adds v2 at its maximum and a 1 GiB backlog):
// it fails when relayd's memory under load grows by tens of MiB, not on timing. Skipped where no
// memory cgroup can be created (not root, no writable /sys/fs/cgroup).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { PushClient, type PushTarget, pushLoad } from '../../bench/load.js';
import { v1Bodies } from '../../bench/payloads.js';
import { rssParts } from '../../bench/proc.js';
import { abandonRelaydChildren, type RelaydChild, startRelaydChild } from '../../bench/relayd-process.js';
import { SinkUpstream } from '../../bench/sink-upstream.js';
import { CREATE_BODY } from '../../bench/stack.js';
import { tryMemoryCgroup } from '../helpers/memory-cgroup.js';

const MiB = 1024 ** 2;
const LIMIT = 256 * MiB;
const BACKLOG = 48 * MiB;
const RUNS = 4;
const CLIENTS = 16;

describe('relayd in a 256 MiB memory cgroup', () => {
  const cgroup = tryMemoryCgroup('relayd-test', LIMIT);
  const skip = typeof cgroup === 'string' ? cgroup : false;

  it('takes the heaviest v1 pushes and drains their backlog without being OOM-killed', { skip, timeout: 600_000 }, async () => {
    if (typeof cgroup === 'string') return;
    const sink = new SinkUpstream();
    await sink.listen();
    let relayd: RelaydChild | undefined;
    let client: PushClient | undefined;
    let peakAnon = 0;
    const sampler = setInterval(() => {
      try {
        if (relayd) peakAnon = Math.max(peakAnon, rssParts(relayd.pid).anonBytes);
      } catch {
        // Gone: the assertions below say why.
      }
    }, 100);
    try {
      relayd = await startRelaydChild({ upstream: sink.url, cgroup }, () => undefined);
      client = new PushClient(relayd.url, CLIENTS);
      const runIds: string[] = [];
      for (let run = 0; run < RUNS; run++) runIds.push(await client.createRun(CREATE_BODY));
      await sink.down();
      const bodies = v1Bodies(8, 2000, 701);
      const targets: PushTarget[] = runIds.map((runId) => ({ runId, protocol: 'v1', bodies }));
      let ackedBytes = 0;
      const load = await pushLoad(client, targets, { kind: 'closed', concurrency: CLIENTS, seconds: 300, stop: () => ackedBytes >= BACKLOG }, (ack) => {
        ackedBytes += ack.body.body.length;
      });
      assert.equal(load.errors, 0, `every push acknowledged; first failure: ${load.firstError}`);

      await sink.up();
      const deadline = Date.now() + 300_000;
      while (sink.deliveries.length < load.operations && Date.now() < deadline) await sleep(100);
      assert.equal(sink.deliveries.length, load.operations, 'every acknowledged push delivered after the upstream came back');
      assert.equal(cgroup.oomKills(), 0, 'nothing in the cgroup was OOM-killed');
      assert.ok(peakAnon < LIMIT, `private memory peaked at ${(peakAnon / MiB).toFixed(0)} MiB, under the limit`);
    } finally {
      clearInterval(sampler);
      await client?.close();
      if (relayd) await relayd.stop().catch(() => undefined);
      else abandonRelaydChildren();
      await sink.down().catch(() => undefined);
      cgroup.remove();
    }
  });
});
