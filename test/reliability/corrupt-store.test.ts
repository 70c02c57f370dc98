// Torture: relayd killed with SIGKILL holding a backlog, its store then damaged before the next start.
//  - Torn MANIFEST and a lost CURRENT (what a crash during a LevelDB compaction on a bad disk leaves):
//    relayd repairs the store, says so loudly (log, /readyz notices), and delivers every push.
//  - Damage repair cannot get past: relayd moves the store aside (kept), starts with an empty one
//    and says so; the acknowledged pushes are all in the moved store, where `relayd check` and
//    `relayd export` show them to a person.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RELAYD_BIN, type Options } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';
import { keysOfExport, Ledger } from './ledger.js';
import { samplesPerPush } from './load.js';
import { Stage } from './stage.js';

interface Readiness {
  ready: boolean;
  notices: string[];
}

describe('torture: a damaged store on start', () => {
  let stage: Stage;
  before(async () => {
    stage = await Stage.open('relayd-torture-corrupt-');
  });
  after(() => stage.close());

  /** A relayd killed with a backlog of `pushes` acknowledged pushes the cloud refused to take yet. */
  async function killedWithBacklog(options: Options, pushes: number): Promise<ScriptedRunner> {
    const relayd = await stage.spawn(options);
    const runner = new ScriptedRunner(relayd.url);
    assert.equal((await runner.create()).status, 200);
    stage.emulator.setFault({ kind: 'status', status: 503, only: 'push' });
    for (let n = 0; n < pushes; n++) assert.equal((await runner.push()).status, 200);
    relayd.child.kill('SIGKILL');
    await relayd.exited;
    stage.emulator.setFault(null);
    return runner;
  }

  it('repairs a store with a torn MANIFEST and no CURRENT, loudly, and delivers every acknowledged push', async () => {
    const options = stage.options('repairable');
    const dataDir = options['data-dir']!;
    const runner = await killedWithBacklog(options, 150);
    const manifest = (await readdir(dataDir)).find((name) => name.startsWith('MANIFEST-'))!;
    await truncate(join(dataDir, manifest), 16);
    await rm(join(dataDir, 'CURRENT'));

    const relayd = await stage.spawn(options);
    assert.match(relayd.stdout(), /STORE REPAIRED/);
    const readiness = (await (await fetch(`${relayd.url}/readyz`)).json()) as Readiness;
    assert.equal(readiness.ready, true, 'a repaired store takes data');
    assert.match(readiness.notices.join('\n'), /was damaged .* and repaired/);

    const { line } = await stage.finishAndSettle('corrupt store (repaired)', relayd, dataDir, [{ runner, protocol: 'v2' }]);
    assert.equal(line.lost, 0);
  });

  it('moves a store beyond repair aside, starts empty, and keeps every acknowledged push for a person', async () => {
    const options = stage.options('beyond-repair');
    const dataDir = options['data-dir']!;
    const runner = await killedWithBacklog(options, 60);
    // A LOCK that is a directory: LevelDB cannot open the store and repair cannot fix it.
    await rm(join(dataDir, 'LOCK'));
    await mkdir(join(dataDir, 'LOCK'));

    const relayd = await stage.spawn(options);
    assert.match(relayd.stdout(), /STORE MOVED ASIDE/);
    const readiness = (await (await fetch(`${relayd.url}/readyz`)).json()) as Readiness;
    const notice = readiness.notices.find((text) => text.includes('moved to'));
    assert.ok(notice, `/readyz says where the store went: ${JSON.stringify(readiness)}`);
    const aside = /moved to (\S+) \(kept\)/.exec(notice)![1]!;
    relayd.child.kill('SIGTERM');
    assert.equal(await relayd.exited, 0);

    // What a person does: clear what kept LevelDB out, check the store, export the run.
    await rm(join(aside, 'LOCK'), { recursive: true });
    const check = spawnSync(process.execPath, [RELAYD_BIN, 'check', '--data-dir', aside, '--json'], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    const report = JSON.parse(check.stdout) as { pending: { items: number } };
    assert.equal(report.pending.items, runner.acked.length, 'relayd check counts every pending push in the moved store');
    const exported = spawnSync(process.execPath, [RELAYD_BIN, 'export', '--run', runner.runId, '--data-dir', aside], { encoding: 'utf8' });
    assert.equal(exported.status, 0, exported.stderr);

    const ledger = new Ledger();
    ledger.ackAll(runner.acked, await samplesPerPush('v2'));
    const line = ledger.settle('corrupt store (moved aside)', { received: [], keptAside: keysOfExport(exported.stdout) });
    assert.equal(line.lost, 0, 'every acknowledged push is in the store moved aside');
    assert.equal(line.keptAside, runner.acked.length);
  });
});
