// The offline commands on a data dir: `relayd check` (a census, exit codes by what it finds),
// `relayd export` (NDJSON of a run or of the dead letters) and `relayd replay-dead-letters` (back
// into the queue, sent by the next start). Real stores made by a real daemon, real CLI processes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { CloudEmulator } from '../emulator/emulator.js';
import { eventually, RELAYD_BIN, spawnRelayd, startInProcess, tempDir, testOptions } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

function relayd(args: string[]) {
  return spawnSync(process.execPath, [RELAYD_BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
}

interface ExportedLine {
  source: string;
  runId: string;
  seq: number;
  kind: string;
  path: string | null;
  headers: Record<string, string>;
  body: string;
  reason?: string;
}

function lines(ndjson: string): ExportedLine[] {
  return ndjson.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as ExportedLine);
}

describe('offline commands on a data dir', () => {
  let emulator: CloudEmulator;
  let base: Awaited<ReturnType<typeof tempDir>>;
  let dataDir: string;
  let runner: ScriptedRunner;

  // A store with one run: three pushes the cloud could not take yet, and one it refused for good.
  before(async () => {
    emulator = new CloudEmulator();
    await emulator.listen();
    base = await tempDir('relayd-offline-');
    dataDir = join(base.path, 'store');
    const daemon = await startInProcess(testOptions(emulator.url, dataDir));
    runner = new ScriptedRunner(daemon.url, { token: 'Token offline-secret' });
    await runner.create();
    emulator.setFault({ kind: 'status', status: 400, count: 1, only: 'push', message: 'metric name too long' });
    assert.equal((await runner.push()).status, 200);
    await eventually(() => daemon.daemon.queue.totals().deadLetters === 1, 10_000, 'the dead letter');
    emulator.setFault({ kind: 'status', status: 503, only: 'push' });
    for (let n = 0; n < 3; n++) assert.equal((await runner.push()).status, 200);
    await daemon.close();
    emulator.setFault(null);
  });
  after(async () => {
    await emulator.close();
    await base.remove();
  });

  it('check reports runs, pending items, bytes and dead letters of a healthy store, exit 0', () => {
    const json = relayd(['check', '--data-dir', dataDir, '--json']);
    assert.equal(json.status, 0, json.stderr);
    const report = JSON.parse(json.stdout) as {
      runs: { total: number; byState: Record<string, number> };
      pending: { items: number; bytes: number; runs: number };
      deadLetters: { items: number; bytes: number };
      unreadable: unknown[];
      problems: string[];
    };
    assert.deepEqual(report.runs, { total: 1, byState: { running: 1 } });
    assert.equal(report.pending.items, 3);
    assert.ok(report.pending.bytes > 3 * 1000, 'the bytes of three captured pushes');
    assert.equal(report.deadLetters.items, 1);
    assert.deepEqual(report.unreadable, []);
    assert.deepEqual(report.problems, []);
    const text = relayd(['check', '--data-dir', dataDir]);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /: OK\n/);
    assert.match(text.stdout, /pending items\s+3 \(\d+ bytes\) in 1 runs/);
  });

  it('export --run writes every request of the run as NDJSON: pending first, then dead letters, token redacted', async () => {
    const out = join(base.path, 'run.ndjson');
    const result = relayd(['export', '--run', runner.runId, '--data-dir', dataDir, '--output', out]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /exported 4 line\(s\)/);
    assert.equal((await stat(out)).mode & 0o777, 0o600, 'the export file is private');
    const exported = lines(await readFile(out, 'utf8'));
    assert.deepEqual(exported.map((line) => line.source), ['inbox', 'inbox', 'inbox', 'dead-letter']);
    assert.deepEqual(exported.map((line) => line.headers['k6-idempotency-key']), [...runner.acked.slice(1), runner.acked[0]]);
    for (const line of exported) {
      assert.equal(line.path, `/v2/metrics/${runner.runId}`);
      assert.equal(line.headers.authorization, '[redacted]');
      assert.equal(line.headers['content-encoding'], 'snappy');
    }
    const pushed = emulator.requests.find((request) => request.idempotencyKey === runner.acked[0])!;
    assert.deepEqual(Buffer.from(exported[3]!.body, 'base64'), pushed.body, 'the body, byte for byte');
    assert.match(exported[3]!.reason ?? '', /^HTTP 400: .*metric name too long/);
    assert.ok(!(await readFile(out, 'utf8')).includes('offline-secret'));

    const unknown = relayd(['export', '--run', '424242', '--data-dir', dataDir]);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no run 424242/);
    assert.equal(relayd(['export', '--data-dir', dataDir]).status, 2, 'one of --run and --dead-letters is required');
  });

  it('check exits 3 for no store or a damaged one (and repairs nothing), 4 while relayd runs on it, 1 for unreadable entries', async () => {
    const missing = relayd(['check', '--data-dir', join(base.path, 'nothing-here')]);
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /no store in/);

    const damagedDir = join(base.path, 'damaged');
    const daemon = await startInProcess(testOptions(emulator.url, damagedDir));
    await new ScriptedRunner(daemon.url).create();
    await daemon.close();
    const manifest = (await readdir(damagedDir)).find((name) => name.startsWith('MANIFEST-'))!;
    await truncate(join(damagedDir, manifest), 10);
    // LevelDB's own text log (LOG, LOG.old) turns over at every open attempt; the data must not change.
    const dataFiles = async (): Promise<Map<string, Buffer>> => {
      const names = (await readdir(damagedDir)).filter((name) => !name.startsWith('LOG'));
      return new Map(await Promise.all(names.map(async (name) => [name, await readFile(join(damagedDir, name))] as const)));
    };
    const before = await dataFiles();
    const damaged = relayd(['check', '--data-dir', damagedDir]);
    assert.equal(damaged.status, 3);
    assert.match(damaged.stderr, /cannot be opened.*Corruption/);
    assert.deepEqual(await dataFiles(), before, 'check repaired nothing, moved nothing');

    const running = await spawnRelayd(testOptions(emulator.url, damagedDir.replace('damaged', 'running')));
    try {
      const inUse = relayd(['check', '--data-dir', damagedDir.replace('damaged', 'running')]);
      assert.equal(inUse.status, 4);
      assert.match(inUse.stderr, /in use by another process/);
    } finally {
      running.child.kill('SIGTERM');
      await running.exited;
    }

    const raw = new ClassicLevel<string, Uint8Array>(join(base.path, 'running'), { valueEncoding: 'view' });
    await raw.open();
    await raw.put('i!77!00000000000000aa', Buffer.from([0, 0, 0, 200, 1]));
    await raw.close();
    const unreadable = relayd(['check', '--data-dir', join(base.path, 'running'), '--json']);
    assert.equal(unreadable.status, 1);
    const report = JSON.parse(unreadable.stdout) as { unreadable: { key: string; reason: string }[]; problems: string[] };
    assert.equal(report.unreadable[0]!.key, 'i!77!00000000000000aa');
    assert.match(report.problems.join('\n'), /1 entries cannot be read/);
  });

  it('replay-dead-letters puts a refused push back, and the next start delivers it with its idempotency key', async () => {
    const dry = relayd(['replay-dead-letters', '--data-dir', dataDir, '--dry-run']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`would re-queue 1 dead letter\\(s\\) of 1 run\\(s\\) \\(${runner.runId}: 1\\)`));
    const replay = relayd(['replay-dead-letters', '--data-dir', dataDir]);
    assert.equal(replay.status, 0, replay.stderr);
    assert.match(replay.stdout, /re-queued 1 dead letter/);
    const report = JSON.parse(relayd(['check', '--data-dir', dataDir, '--json']).stdout) as { pending: { items: number }; deadLetters: { items: number } };
    assert.deepEqual([report.pending.items, report.deadLetters.items], [4, 0]);

    const daemon = await startInProcess(testOptions(emulator.url, dataDir));
    try {
      runner.retarget(daemon.url);
      assert.equal((await runner.finish()).status, 200);
      const run = emulator.runs.get(runner.runId)!;
      await eventually(() => run.finish !== undefined, 15_000, 'the finish');
      const delivered = run.pushes.map((push) => push.idempotencyKey);
      assert.deepEqual(delivered.filter((key) => key === runner.acked[0]), [runner.acked[0]], 'the replayed push arrived once');
      assert.deepEqual(new Set(delivered), new Set(runner.acked), 'every push of the run arrived');
    } finally {
      await daemon.close();
    }
  });

  it('replay-dead-letters gives a run the cloud rejected its create a second chance', async () => {
    const dir = join(base.path, 'rejected');
    const options = testOptions(emulator.url, dir, { 'create-timeout': '500ms' });
    await emulator.down();
    let daemon = await startInProcess(options);
    const provisional = new ScriptedRunner(daemon.url);
    assert.equal((await provisional.create()).status, 200);
    assert.equal((await provisional.push()).status, 200);
    emulator.setFault({ kind: 'status', status: 403, only: 'create', message: 'project is locked' });
    await emulator.up();
    await eventually(() => daemon.daemon.runs.get(provisional.runId)?.record.state === 'rejected', 15_000, 'the rejection');
    await eventually(() => daemon.daemon.queue.totals().deadLetters === 2, 10_000, 'create and push dead-lettered');
    await daemon.close();
    emulator.setFault(null);

    const replay = relayd(['replay-dead-letters', '--data-dir', dir]);
    assert.equal(replay.status, 0, replay.stderr);
    const runsBefore = emulator.runs.size;
    daemon = await startInProcess(options);
    try {
      await eventually(() => emulator.runs.size === runsBefore + 1, 15_000, 'the create, sent again');
      const created = [...emulator.runs.values()].at(-1)!;
      await eventually(() => created.pushes.length === 1, 15_000, 'the push under the cloud id');
      assert.equal(created.pushes[0]!.idempotencyKey, provisional.acked[0]);
      assert.equal(daemon.daemon.runs.get(provisional.runId)!.record.state, 'running');
    } finally {
      await daemon.close();
    }
  });
});
