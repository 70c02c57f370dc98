// relayd is a real child process, killed with SIGKILL while pushes arrive and restarted on the same
// data dir: every push that got a 2xx reaches the cloud; a push is sent twice at most when it was in
// flight upstream at the moment of a kill.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PUSHES_IN_FLIGHT } from '../../src/forward/index.js';
import { CloudEmulator } from '../emulator/emulator.js';
import { eventually, spawnRelayd, tempDir, testOptions, type ChildRelayd } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

const KILLS = 5;
const TOKEN = 'Token sigkill-secret-7f3a9c';

describe('SIGKILL while pushes are arriving', () => {
  let emulator: CloudEmulator;
  let data: Awaited<ReturnType<typeof tempDir>>;
  let relayd: ChildRelayd | null = null;
  const logs: string[] = [];

  before(async () => {
    // A slow cloud keeps requests in flight, so kills land mid-delivery too.
    emulator = new CloudEmulator();
    await emulator.listen();
    data = await tempDir();
  });
  after(async () => {
    relayd?.child.kill('SIGKILL');
    await emulator.close();
    await data.remove();
  });

  it('loses no acknowledged push across repeated kill -9 and restart', async () => {
    const options = testOptions(emulator.url, data.path, { 'log-level': 'debug' });
    relayd = await spawnRelayd(options);
    const runner = new ScriptedRunner(relayd.url, { token: TOKEN });
    assert.equal((await runner.create()).status, 200);
    let refused = 0;

    for (let kill = 0; kill < KILLS; kill++) {
      emulator.setFault({ kind: 'slow', delayMs: 20 + Math.floor(Math.random() * 60) });
      // Several concurrent senders, like k6's push concurrency, until the kill lands.
      const killAt = Date.now() + 300 + Math.floor(Math.random() * 700);
      let killed = false;
      const sender = async (): Promise<void> => {
        while (!killed) {
          try {
            const response = await runner.push();
            if (response.status !== 200) refused += 1;
          } catch {
            return; // the connection died with the daemon: not acknowledged, so not owed
          }
        }
      };
      const ackedBefore = runner.acked.length;
      const senders = Promise.all([sender(), sender(), sender()]);
      // The kill lands in a life of relayd that took pushes, however loaded the machine is.
      await eventually(() => runner.acked.length >= ackedBefore + 6, 20_000, 'pushes taken after the restart');
      await sleep(Math.max(0, killAt - Date.now()));
      relayd.child.kill('SIGKILL');
      killed = true;
      assert.equal(await relayd.exited, 'SIGKILL');
      logs.push(relayd.stdout(), relayd.stderr());
      await senders;

      relayd = await spawnRelayd(options);
      runner.retarget(relayd.url);
    }
    emulator.setFault(null);
    assert.equal(refused, 0, 'relayd never refused a valid push');
    assert.ok(runner.acked.length > KILLS * 5, `pushes were acknowledged (${runner.acked.length})`);

    assert.equal((await runner.finish()).status, 200);
    const run = emulator.runs.get(runner.runId)!;
    await eventually(() => run.finish !== undefined, 20_000, 'the finish after the restarts');

    const delivered = run.pushes.map((push) => push.idempotencyKey);
    const missing = runner.acked.filter((key) => !delivered.includes(key));
    assert.deepEqual(missing, [], 'every acknowledged push was delivered');
    const duplicates = delivered.length - new Set(delivered).size;
    // Per kill: the pushes in flight, and as many delivered ones whose removal was not written yet.
    assert.ok(
      duplicates <= KILLS * 2 * PUSHES_IN_FLIGHT,
      `duplicates (${duplicates}) only for pushes in flight or awaiting their removal at a kill (${KILLS} kills, ${PUSHES_IN_FLIGHT} of each per run)`,
    );
    console.log(`# ledger: acknowledged ${runner.acked.length}, delivered ${new Set(delivered).size}, duplicated ${duplicates}, lost ${missing.length}`);

    logs.push(relayd.stdout(), relayd.stderr());
    assert.ok(!logs.join('').includes('sigkill-secret'), 'the token never appears in the logs');
  });
});
