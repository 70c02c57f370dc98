// `relayd status`, `relayd runs [ID]` and `relayd health` against a real daemon (a child process):
// readable tables, --json that matches the admin API's schemas, and the documented exit codes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CloudEmulator } from '../emulator/emulator.js';
import { filesBytes, procStatus } from '../helpers/footprint.js';
import { eventually, RELAYD_BIN, spawnRelayd, tempDir, testOptions, type ChildRelayd } from '../helpers/relayd.js';
import { unusedPort } from '../helpers/ports.js';
import { ScriptedRunner } from '../helpers/runner.js';
import { runListSchema, runViewSchema, statusSchema } from '../../src/ingest/admin-messages.js';

/** Runs the CLI without blocking the event loop (the in-test emulator must keep answering). */
function relayd(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [RELAYD_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

describe('relayd status, runs and health', () => {
  let cloud: CloudEmulator;
  let data: Awaited<ReturnType<typeof tempDir>>;
  let daemon: ChildRelayd;
  let runId: string;

  before(async () => {
    cloud = new CloudEmulator();
    await cloud.listen();
    data = await tempDir();
    daemon = await spawnRelayd(testOptions(cloud.url, data.path));
    const runner = new ScriptedRunner(daemon.url);
    await runner.create();
    for (let i = 0; i < 2; i++) await runner.push();
    await runner.finish();
    runId = runner.runId;
    // Ended in relayd, not only received by the cloud: relayd ends the run once it has the cloud's answer.
    await eventually(async () => (await (await fetch(`${daemon.url}/api/v1/runs/${runId}`)).json() as { state: string }).state === 'finished', 10_000, 'the run ended');
  });
  after(async () => {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
    await cloud.close();
    await data.remove();
  });

  it('status prints a table of the daemon, readiness, upstream, backlog and runs, and exits 0', async () => {
    const result = await relayd(['status', '--url', daemon.url]);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, new RegExp(`^daemon\\s+up \\d+s \\(relayd \\d+\\.\\d+\\.\\d+\\), listening on ${daemon.url}, data in ${data.path}$`));
    assert.match(result.stdout, /^ready\s+yes$/m);
    assert.match(result.stdout, new RegExp(`^upstream\\s+${cloud.url} reachable \\(HTTP 200\\)$`, 'm'));
    assert.match(result.stdout, /^backlog\s+0 requests, 0 B in 0 runs, oldest -$/m);
    assert.match(result.stdout, /^dead letters\s+0$/m);
    assert.match(result.stdout, /^runs\s+finished 1$/m);
    assert.match(result.stdout, /^footprint\s+RSS \d+\.\d MiB, store \d+(\.\d)? (B|KiB|MiB) on disk$/m);
  });

  it('status --json is the admin API status message', async () => {
    const result = await relayd(['status', '--json', '--url', daemon.url]);
    assert.equal(result.status, 0);
    const status = statusSchema.parse(JSON.parse(result.stdout));
    assert.equal(status.listen, daemon.url);
    assert.deepEqual(status.runsByState, { finished: 1 });
    assert.equal(status.ready, true);
    // As Linux and the data dir say; both move a little between the two readings.
    const rss = procStatus(daemon.child.pid!, 'VmRSS');
    assert.ok(Math.abs(status.footprint.rssBytes - rss) < 0.2 * rss, `RSS ${status.footprint.rssBytes}, /proc says ${rss}`);
    const stored = filesBytes(data.path);
    assert.ok(stored > 0 && Math.abs(status.footprint.storeBytes! - stored) < 0.1 * stored, `store ${status.footprint.storeBytes}, on disk ${stored}`);
  });

  it('runs prints one row per run and runs ID the ledger, both also as JSON', async () => {
    const list = await relayd(['runs', '--url', daemon.url]);
    assert.equal(list.status, 0, list.stderr);
    const [header, row, ...rest] = list.stdout.trimEnd().split('\n');
    assert.match(header!, /^ID\s+STATE\s+ORIGIN\s+UPSTREAM ID\s+SAMPLES IN\s+SAMPLES OUT\s+PENDING\s+DEAD\s+LAST DATA\s+LAST ERROR$/);
    const samples = cloud.runs.get(runId)!.samples;
    assert.match(row!, new RegExp(`^${runId}\\s+finished\\s+relayd\\s+${runId}\\s+${samples}\\s+${samples}\\s+0\\s+0\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`));
    assert.deepEqual(rest, []);

    const one = await relayd(['runs', runId, '--url', daemon.url]);
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, new RegExp(`^run ${runId} ".*": finished, upstream id ${runId}$`, 'm'));
    assert.match(one.stdout, /^\s+PUSHES\s+SAMPLES\s+BYTES$/m);
    assert.match(one.stdout, new RegExp(`^received\\s+2\\s+${samples}\\s+[\\d.]+ (B|KiB)$`, 'm'));
    assert.match(one.stdout, new RegExp(`^delivered\\s+2\\s+${samples}\\s+`, 'm'));
    assert.match(one.stdout, /^dead-lettered\s+0\s+0\s+0 B$/m);
    assert.match(one.stdout, /^pending\s+0\s+0 B$/m);

    assert.equal(runListSchema.parse(JSON.parse((await relayd(['runs', '--json', '--url', daemon.url])).stdout)).runs.length, 1);
    assert.equal(runViewSchema.parse(JSON.parse((await relayd(['runs', runId, '--json', '--url', daemon.url])).stdout)).id, runId);
  });

  it('runs ID exits 5 for a run it does not know', async () => {
    const result = await relayd(['runs', '424242', '--url', daemon.url]);
    assert.equal(result.status, 5);
    assert.equal(result.stderr, 'relayd: no run 424242 (relayd runs lists them)\n');
  });

  it('finds the daemon from the listen option when no --url is given', async () => {
    const port = new URL(daemon.url).port;
    const viaEnv = await relayd(['health'], { RELAYD_LISTEN: `0.0.0.0:${port}` });
    assert.equal(viaEnv.status, 0, viaEnv.stderr);
    assert.equal(viaEnv.stdout, 'ok\n');
    const ready = await relayd(['health', '--ready', '--listen', `127.0.0.1:${port}`]);
    assert.equal(ready.status, 0);
    assert.equal(ready.stdout, 'ready\n');
  });

  it('shows a run created elsewhere as adopted in status, runs and runs ID', async () => {
    const elsewhere = cloud.createRunElsewhere();
    const runner = new ScriptedRunner(daemon.url, { runId: elsewhere.id });
    assert.equal((await runner.push()).status, 200);

    const status = await relayd(['status', '--url', daemon.url]);
    assert.match(status.stdout, /^runs\s+finished 1, running 1$/m);
    assert.match(status.stdout, /^adopted runs\s+running 1 \(created elsewhere; relayd forwards them, their creator finishes them\)$/m);
    const json = statusSchema.parse(JSON.parse((await relayd(['status', '--json', '--url', daemon.url])).stdout));
    assert.deepEqual(json.adoptedRunsByState, { running: 1 });

    const list = await relayd(['runs', '--url', daemon.url]);
    assert.match(list.stdout, new RegExp(`^${runId}\\s+finished\\s+relayd\\s`, 'm'));
    assert.match(list.stdout, new RegExp(`^${elsewhere.id}\\s+running\\s+adopted\\s+${elsewhere.id}\\s`, 'm'));
    const one = await relayd(['runs', elsewhere.id, '--url', daemon.url]);
    assert.match(one.stdout, new RegExp(`^run ${elsewhere.id} "created elsewhere": running \\(adopted: created elsewhere, finished by its creator\\), upstream id ${elsewhere.id}$`, 'm'));
    assert.equal(runViewSchema.parse(JSON.parse((await relayd(['runs', elsewhere.id, '--json', '--url', daemon.url])).stdout)).adopted, true);
  });

  it('exits 3 with one line when no daemon answers, and 4 when the upstream does not answer', async () => {
    const closed = await unusedPort();
    const nobody = await relayd(['status', '--url', `http://127.0.0.1:${closed}`]);
    assert.equal(nobody.status, 3);
    assert.match(nobody.stderr, new RegExp(`^relayd: no relayd answered at http://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\); is it running\\?`));
    assert.equal(nobody.stderr.trim().split('\n').length, 1);
    assert.equal((await relayd(['health', '--url', `http://127.0.0.1:${closed}`])).status, 3);

    const lonely = await tempDir();
    const cut = await spawnRelayd(testOptions('http://127.0.0.1:9', lonely.path));
    try {
      const result = await relayd(['status', '--url', cut.url]);
      assert.equal(result.status, 4);
      assert.match(result.stdout, /^upstream\s+http:\/\/127\.0\.0\.1:9 NOT reachable \(ECONNREFUSED/m);
    } finally {
      cut.child.kill('SIGTERM');
      await cut.exited;
      await lonely.remove();
    }
  });
});
