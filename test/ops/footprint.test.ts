// relayd's memory bounds, with wide margins (the tight figures are bench/footprint.bench.ts): a
// relayd at rest runs no validation thread, and a decompression bomb gets its 413 (or 400) without
// taking much more than the default --max-decompressed-size (64 MiB). Real child processes, read
// through /proc: thread counts, and the peak RSS (VmHWM), so that nothing depends on timing.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { snappyCompress } from '../../src/protocol/index.js';
import { CloudEmulator } from '../emulator/emulator.js';
import { send } from '../emulator/send.js';
import { procStatus, resetPeakRss } from '../helpers/footprint.js';
import { spawnRelayd, tempDir, testOptions, type ChildRelayd } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

const MiB = 1024 * 1024;
/** Twice the default decompressed size limit: what a bomb may make relayd take at most, with room. */
const WIDE_BOUND = 128 * MiB;

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

  it('starts no validation thread until the first v1 push', async () => {
    const threaded = await relaydWith({ 'validation-threads': '2' }, 'v1');
    const onLoop = await relaydWith({ 'validation-threads': '0' }, 'v1');
    assert.equal(procStatus(threaded.pid, 'Threads'), procStatus(onLoop.pid, 'Threads'), 'at rest, as many threads as with validation on the event loop');

    const atRest = { threaded: procStatus(threaded.pid, 'Threads'), onLoop: procStatus(onLoop.pid, 'Threads') };
    assert.equal((await threaded.runner.push()).status, 200);
    assert.equal((await onLoop.runner.push()).status, 200);
    const grew = { threaded: procStatus(threaded.pid, 'Threads') - atRest.threaded, onLoop: procStatus(onLoop.pid, 'Threads') - atRest.onLoop };
    assert.equal(grew.threaded - grew.onLoop, 2, `the two validation threads started with the first v1 push (${JSON.stringify(grew)})`);
  });

  it('refuses a 1 GiB gzip bomb and a snappy bomb with 413, taking at most about the limit', async () => {
    const relayd = await relaydWith({}, 'v2');
    // 1024 gzip members of 1 MiB of zeros: a 1 MiB body that inflates to 1 GiB.
    const gzipBomb = Buffer.concat(Array<Buffer>(1024).fill(gzipSync(Buffer.alloc(MiB), { level: 9 })));
    const gzipped = await pushBomb(relayd, 'v1', gzipBomb);
    assert.deepEqual([gzipped.status, gzipped.code], [413, 'RELAYD_DECOMPRESSED_TOO_LARGE']);
    assert.ok(gzipped.riseBytes < WIDE_BOUND, `RSS rose ${(gzipped.riseBytes / MiB).toFixed(0)} MiB`);

    // A block of zeros just under the limit: valid snappy, inflated in full, then not protobuf.
    const snappyBomb = snappyCompress(Buffer.alloc(63 * MiB));
    const snappied = await pushBomb(relayd, 'v2', snappyBomb);
    assert.deepEqual([snappied.status, snappied.code], [400, 'RELAYD_BAD_PROTOBUF']);
    assert.ok(snappied.riseBytes < WIDE_BOUND, `RSS rose ${(snappied.riseBytes / MiB).toFixed(0)} MiB`);

    // One declaring 1 GiB is refused before anything is inflated.
    const declared = await pushBomb(relayd, 'v2', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00]));
    assert.deepEqual([declared.status, declared.code], [413, 'RELAYD_DECOMPRESSED_TOO_LARGE']);
  });
});
