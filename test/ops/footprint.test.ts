// relayd's memory bounds, with wide margins (the tight figures are bench/footprint.bench.ts): a
// relayd at rest has loaded none of the modules only some commands or requests need and runs no
// validation thread, and a decompression bomb gets its 413 (or 400) without taking much more than its
// limit: --max-decompressed-size (64 MiB) for v1, --max-v2-decompressed-size (16 MiB) for v2. Real child processes, read through /proc: thread counts,
// RSS and its peak (VmHWM), so that nothing depends on timing.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { snappyCompress } from '../../src/protocol/index.js';
import { CloudEmulator } from '../emulator/emulator.js';
import { send } from '../emulator/send.js';
import { procStatus, resetPeakRss } from '../helpers/footprint.js';
import { sample, scrape } from '../helpers/prometheus.js';
import { spawnRelayd, tempDir, testOptions, type ChildRelayd } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

const MiB = 1024 * 1024;
/** Twice the default v1 decompressed size limit: what a gzip bomb may make relayd take at most, with room. */
const WIDE_BOUND = 128 * MiB;
/** A v2 body is held decompressed whole, for a moment twice (protocol/snappy.ts): twice its 16 MiB default, with room. */
const V2_BOUND = 64 * MiB;
/** RSS at rest: the target is 70 MiB (bench/FOOTPRINT.md); this only catches a wide regression. */
const REST_BOUND = 90 * MiB;
/** Packages a relayd at rest must not have loaded: the CLI's (help text, admin answers), pretty logs for a terminal, the stream's WebSockets. */
const NOT_AT_REST = ['yargs', 'cliui', 'string-width', 'zod', 'pino-pretty', 'ws'];
const MODULE_LOG_HOOK = fileURLToPath(new URL('../helpers/module-log.mjs', import.meta.url));

interface Relayd {
  readonly process: ChildRelayd;
  readonly runner: ScriptedRunner;
  readonly pid: number;
}

describe('footprint', () => {
  const cloud = new CloudEmulator();
  const started: { relayd: ChildRelayd; remove: () => Promise<void> }[] = [];

  /** A child relayd with the defaults (but the test ones: port, upstream, data dir) and a run created. */
  async function relaydWith(overrides: Record<string, string>, protocol: 'v1' | 'v2'): Promise<Relayd> {
    const data = await tempDir();
    const relayd = await spawnRelayd(testOptions(cloud.url, data.path, overrides));
    started.push({ relayd, remove: data.remove });
    const runner = new ScriptedRunner(relayd.url, { protocol });
    assert.equal((await runner.create()).status, 200);
    return { process: relayd, runner, pid: relayd.child.pid! };
  }

  /** Posts a body to the run's push endpoint; returns the status, the relayd code and RSS's peak rise. */
  async function pushBomb(relayd: Relayd, protocol: 'v1' | 'v2', body: Buffer): Promise<{ status: number; code: string; riseBytes: number }> {
    resetPeakRss(relayd.pid);
    const rssBefore = procStatus(relayd.pid, 'VmRSS');
    const headers: Record<string, string> =
      protocol === 'v1'
        ? { 'content-type': 'application/json', 'content-encoding': 'gzip' }
        : { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'k6-metrics-protocol-version': '2.0' };
    const response = await send(`${relayd.process.url}/${protocol}/metrics/${relayd.runner.runId}`, {
      headers: { authorization: 'Token testtoken', 'user-agent': 'k6cloud/0.48.0', ...headers },
      body,
      framing: 'chunked',
    });
    const code = (JSON.parse(response.body.toString()) as { error: { details: { relayd_code: string[] } } }).error.details.relayd_code[0]!;
    return { status: response.status, code, riseBytes: procStatus(relayd.pid, 'VmHWM') - rssBefore };
  }

  before(() => cloud.listen());
  after(async () => {
    for (const { relayd, remove } of started) {
      relayd.child.kill('SIGTERM');
      await relayd.exited;
      await remove();
    }
    await cloud.close();
  });

  it('loads at rest none of what only some commands or requests need, and stays far below 90 MiB', async () => {
    const data = await tempDir();
    const moduleLog = join(data.path, 'modules.txt');
    const plain = { listen: '127.0.0.1:0', upstream: cloud.url, 'data-dir': join(data.path, 'store') };
    const relayd = await spawnRelayd(plain, { NODE_OPTIONS: `--import ${MODULE_LOG_HOOK}`, RELAYD_MODULE_LOG: moduleLog });
    started.push({ relayd, remove: data.remove });
    const loaded = (await readFile(moduleLog, 'utf8')).split('\n');
    assert.ok(loaded.some((url) => url.endsWith('/cli/main.js') || url.endsWith('/cli/main.ts')), 'the log has the modules relayd loaded');
    const packages = new Set(loaded.map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]).filter((name) => name !== undefined));
    assert.ok(packages.has('pino'), `the log has the packages relayd loaded: ${[...packages].join(', ')}`);
    assert.deepEqual(NOT_AT_REST.filter((name) => packages.has(name)), [], 'loaded at rest');

    // RSS of one without the hook (which runs a thread of its own).
    const bareData = await tempDir();
    const bare = await spawnRelayd({ ...plain, 'data-dir': bareData.path });
    started.push({ relayd: bare, remove: bareData.remove });
    const rss = procStatus(bare.child.pid!, 'VmRSS');
    assert.ok(rss < REST_BOUND, `RSS at rest ${(rss / MiB).toFixed(1)} MiB`);
  });

  it('starts no validation thread until the first push, and stops it once pushes stop', async () => {
    const threaded = await relaydWith({ 'validation-threads': '2' }, 'v1');
    const onLoop = await relaydWith({ 'validation-threads': '0' }, 'v1');
    assert.equal(procStatus(threaded.pid, 'Threads'), procStatus(onLoop.pid, 'Threads'), 'at rest, as many threads as with validation on the event loop');

    const gauge = async (): Promise<number | undefined> => sample(await scrape(threaded.process.url), 'relayd_validation_threads');
    assert.equal(await gauge(), 0, '/metrics shows none at rest');

    const atRest = { threaded: procStatus(threaded.pid, 'Threads'), onLoop: procStatus(onLoop.pid, 'Threads') };
    assert.equal((await threaded.runner.push()).status, 200);
    assert.equal((await onLoop.runner.push()).status, 200);
    const grew = { threaded: procStatus(threaded.pid, 'Threads') - atRest.threaded, onLoop: procStatus(onLoop.pid, 'Threads') - atRest.onLoop };
    assert.equal(grew.threaded - grew.onLoop, 1, `one validation thread started for the one push (${JSON.stringify(grew)})`);
    assert.equal(await gauge(), 1, '/metrics shows it');
    // It stops 2 s after its last push (push-validator.ts); allowed far longer, so a busy machine cannot fail this.
    const backToRest = () => procStatus(threaded.pid, 'Threads') - procStatus(onLoop.pid, 'Threads') === atRest.threaded - atRest.onLoop;
    for (const deadline = Date.now() + 20_000; !backToRest() && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(backToRest(), 'the idle validation thread stopped');
    assert.equal(await gauge(), 0, '/metrics shows it stopped');
  });

  it('refuses a 1 GiB gzip bomb and a snappy bomb with 413, taking at most about the limit', async () => {
    const relayd = await relaydWith({}, 'v2');
    // 1024 gzip members of 1 MiB of zeros: a 1 MiB body that inflates to 1 GiB.
    const gzipBomb = Buffer.concat(Array<Buffer>(1024).fill(gzipSync(Buffer.alloc(MiB), { level: 9 })));
    const gzipped = await pushBomb(relayd, 'v1', gzipBomb);
    assert.deepEqual([gzipped.status, gzipped.code], [413, 'RELAYD_DECOMPRESSED_TOO_LARGE']);
    assert.ok(gzipped.riseBytes < WIDE_BOUND, `RSS rose ${(gzipped.riseBytes / MiB).toFixed(0)} MiB`);

    // A block of zeros just under the v2 limit: valid snappy, inflated in full, then not protobuf.
    const snappyBomb = snappyCompress(Buffer.alloc(16 * MiB - 1024));
    const snappied = await pushBomb(relayd, 'v2', snappyBomb);
    assert.deepEqual([snappied.status, snappied.code], [400, 'RELAYD_BAD_PROTOBUF']);
    assert.ok(snappied.riseBytes < V2_BOUND, `RSS rose ${(snappied.riseBytes / MiB).toFixed(0)} MiB`);

    // Just over it, and one declaring 1 GiB: refused before anything is inflated.
    const over = await pushBomb(relayd, 'v2', snappyCompress(Buffer.alloc(16 * MiB + 1)));
    assert.deepEqual([over.status, over.code], [413, 'RELAYD_DECOMPRESSED_TOO_LARGE']);
    const declared = await pushBomb(relayd, 'v2', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00]));
    assert.deepEqual([declared.status, declared.code], [413, 'RELAYD_DECOMPRESSED_TOO_LARGE']);
  });
});
