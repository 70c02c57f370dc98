// A sidecar with a 256 MiB container limit must not be the container that gets OOM-killed. relayd
// runs here as a real child process inside a memory cgroup with that hard limit (as `docker run
// --memory 256m` sets), takes 1000-series v2 pushes 16 at a time, then the heaviest v1 pushes the
// benchmarks send (~1.7 MiB of JSON each, 16 at a time) while its upstream is down, then drains
// the backlog when it comes back. A reduced version of `npm run bench -- memory-limit` (which runs
// both at their maximum for a fixed time and builds a 1 GiB backlog): it fails when relayd's memory
// under load grows by tens of MiB, not on timing. The v2 pushes are counted, not timed: the snappy
// binding's pooled decompression once kept ~0.8 MiB per push and was OOM-killed within 400 of them.
// Skipped where no memory cgroup can be created (not root, no writable /sys/fs/cgroup).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { PushClient, type PushTarget, pushLoad } from '../../bench/load.js';
import { v1Bodies, v2Bodies, v2BodiesFor } from '../../bench/payloads.js';
import { rssParts } from '../../bench/proc.js';
import { abandonRelaydChildren, type RelaydChild, startRelaydChild } from '../../bench/relayd-process.js';
import { SinkUpstream } from '../../bench/sink-upstream.js';
import { CREATE_BODY } from '../../bench/stack.js';
import { tryMemoryCgroup } from '../helpers/memory-cgroup.js';

const MiB = 1024 ** 2;
const LIMIT = 256 * MiB;
const BACKLOG = 48 * MiB;
/** ~300 MiB of decompressed MetricSets (540 KiB each) went through: more than the limit, had they stayed. */
const V2_PUSHES = 600;
const RUNS = 4;
const CLIENTS = 16;

describe('relayd in a 256 MiB memory cgroup', () => {
  const cgroup = tryMemoryCgroup('relayd-test', LIMIT);
  const skip = typeof cgroup === 'string' ? cgroup : false;

  it('takes v2 and the heaviest v1 pushes and drains their backlog without being OOM-killed', { skip, timeout: 600_000 }, async () => {
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
      sink.down();
      const v2 = v2Bodies('0', 8, 801);
      const v2Targets: PushTarget[] = runIds.map((runId) => ({ runId, protocol: 'v2', bodies: v2BodiesFor(runId, v2) }));
      let v2Pushes = 0;
      // A relayd the kernel killed acknowledges nothing more: stop then, not after the time bound.
      const gone = (): boolean => !existsSync(`/proc/${relayd!.pid}`);
      const v2Load = await pushLoad(client, v2Targets, { kind: 'closed', concurrency: CLIENTS, seconds: 300, stop: () => v2Pushes >= V2_PUSHES || gone() }, () => {
        v2Pushes += 1;
      });
      assert.equal(v2Load.errors, 0, `every v2 push acknowledged; first failure: ${v2Load.firstError}`);

      const bodies = v1Bodies(8, 2000, 701);
      const targets: PushTarget[] = runIds.map((runId) => ({ runId, protocol: 'v1', bodies }));
      let ackedBytes = 0;
      const load = await pushLoad(client, targets, { kind: 'closed', concurrency: CLIENTS, seconds: 300, stop: () => ackedBytes >= BACKLOG }, (ack) => {
        ackedBytes += ack.body.body.length;
      });
      assert.equal(load.errors, 0, `every push acknowledged; first failure: ${load.firstError}`);

      sink.up();
      const pushes = v2Load.operations + load.operations;
      const deadline = Date.now() + 300_000;
      while (sink.deliveries.length < pushes && Date.now() < deadline) await sleep(100);
      assert.equal(sink.deliveries.length, pushes, 'every acknowledged push delivered after the upstream came back');
      assert.equal(cgroup.oomKills(), 0, 'nothing in the cgroup was OOM-killed');
      assert.ok(peakAnon < LIMIT, `private memory peaked at ${(peakAnon / MiB).toFixed(0)} MiB, under the limit`);
    } finally {
      clearInterval(sampler);
      await client?.close();
      if (relayd) await relayd.stop().catch(() => undefined);
      else abandonRelaydChildren();
      await sink.close();
      cgroup.remove();
    }
  });
});
