// Torture: a real full disk (ENOSPC from the filesystem, not the quota). relayd's data dir lives
// on a small tmpfs with a ballast file; with the cloud down, pushes fill it. relayd answers 503 with
// Retry-After (RELAYD_DISK_FULL), /readyz says why, the daemon stays up; once space is freed it
// reopens the store by itself, takes data again, and every acknowledged push arrives. Needs root
// for the mount; skipped (saying so) otherwise.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';
import { mountTmpfs, unmount } from '../helpers/tmpfs.js';
import { Stage } from './stage.js';

describe('torture: the disk under the store fills up', () => {
  let stage: Stage;
  let disk: string;
  let mounted = false;
  before(async () => {
    stage = await Stage.open('relayd-torture-enospc-');
    disk = stage.path('disk');
    await mkdir(disk);
    mounted = mountTmpfs(disk, '8m');
  });
  after(async () => {
    await stage.killAll();
    if (mounted) unmount(disk);
    await stage.close();
  });

  it('answers 503 on ENOSPC, stays up, and recovers once space is freed, losing nothing', async (t) => {
    if (!mounted) {
      t.skip('needs root to mount a small tmpfs for a real ENOSPC');
      return;
    }
    // Less free space than LevelDB's 4 MiB write buffer: the log itself hits ENOSPC.
    const ballast = join(disk, 'ballast');
    await writeFile(ballast, Buffer.alloc(6 * 1024 * 1024));
    const dataDir = join(disk, 'relayd');
    // A quota far above the disk: this is about the filesystem refusing, not the quota.
    const relayd = await stage.spawn(stage.options('disk/relayd', { 'max-disk': '1GiB' }));
    const runner = new ScriptedRunner(relayd.url);
    assert.equal((await runner.create()).status, 200);
    await stage.emulator.down();

    let refusal: { status: number; retryAfter: unknown; code: string[] } | undefined;
    for (let n = 0; n < 5000 && refusal === undefined; n++) {
      const response = await runner.push();
      if (response.status !== 200) {
        const { error } = JSON.parse(response.body.toString()) as { error: { details: { relayd_code: string[] } } };
        refusal = { status: response.status, retryAfter: response.headers['retry-after'], code: error.details.relayd_code };
      }
    }
    assert.deepEqual(refusal, { status: 503, retryAfter: '5', code: ['RELAYD_DISK_FULL'] });
    assert.ok(runner.acked.length > 100, `the disk took ${runner.acked.length} pushes`);
    const ready = await fetch(`${relayd.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /No space left on device/);
    assert.equal((await fetch(`${relayd.url}/healthz`)).status, 200, 'the daemon is up');
    assert.equal((await runner.push()).status, 503, 'still refused while the disk is full');

    await rm(ballast);
    await eventually(async () => (await fetch(`${relayd.url}/readyz`)).status === 200, 15_000, 'ready again after space was freed');
    for (let n = 0; n < 20; n++) assert.equal((await runner.push()).status, 200, 'pushes are taken again');
    await stage.emulator.up();
    assert.match(relayd.stdout(), /a write to the store failed/);
    assert.match(relayd.stdout(), /the store was reopened/);

    const { line } = await stage.finishAndSettle('disk full (ENOSPC) then freed', relayd, dataDir, [{ runner, protocol: 'v2' }]);
    assert.equal(line.lost, 0, 'no acknowledged push was lost');
  });
});
