// Push validation on worker threads decides exactly as on the event loop: the same sample counts for
// real k6 captures, the same error codes and messages for bodies relayd must refuse (a RelaydError
// does not survive a thread boundary by itself), and closing waits for the tasks in flight. The
// threads never load the snappy binding.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { RelaydError, isRelaydError } from '../../src/errors.js';
import { PushValidator, resolveValidationThreads } from '../../src/ingest/index.js';
import type { PushToValidate } from '../../src/ingest/push-validation.js';
import { rewriteTestRunId, snappyCompress, snappyUncompressBounded } from '../../src/protocol/index.js';
import { FIXTURE_FOLDERS, FIXTURE_RUN_ID, loadFixture } from '../emulator/fixtures.js';

const limits = { maxDecompressedBytes: 1 << 24, maxTags: 128 };
const captures = FIXTURE_FOLDERS.flatMap((folder) => loadFixture(folder)).filter(
  (capture) => capture.route.kind === 'v1-push' || capture.route.kind === 'v2-push',
);
const pushOf = (body: Uint8Array, protocol: 'v1' | 'v2', contentEncoding = protocol === 'v1' ? 'gzip' : 'snappy'): PushToValidate => ({
  protocol,
  runId: FIXTURE_RUN_ID,
  body,
  contentEncoding,
  limits,
});
const v2Capture = captures.find((capture) => capture.route.kind === 'v2-push')!;
const manyTags = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`tag${i}`, 'x']));

/** Bodies relayd must refuse, one per kind of refusal. */
const REFUSED: readonly [string, PushToValidate][] = [
  ['truncated gzip', pushOf(gzipSync('[]').subarray(0, 8), 'v1')],
  ['invalid JSON', pushOf(gzipSync('[{"type":'), 'v1')],
  ['a v1 sample with too many tags', pushOf(gzipSync(JSON.stringify([{ type: 'Point', metric: 'vus', data: { time: '1', type: 'gauge', tags: manyTags, value: 1 } }])), 'v1')],
  ['garbage snappy', pushOf(Buffer.from('not snappy at all'), 'v2')],
  ['gzip on a v2 push', pushOf(v2Capture.body, 'v2', 'gzip')],
  ['a MetricSet of another run', pushOf(snappyCompress(rewriteTestRunId(snappyUncompressBounded(v2Capture.body, 1 << 24), '777')), 'v2')],
];

/** Every module `file` imports at run time (type-only imports are erased), relative ones followed. */
function importGraph(file: string, reached = new Set<string>()): Set<string> {
  for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/^import (?!type )[^;]*?from '([^']+)';/gms)) {
    const target = specifier!.startsWith('.') ? join(dirname(file), specifier!.replace(/\.js$/, '.ts')) : specifier!;
    if (reached.has(target)) continue;
    reached.add(target);
    if (target.endsWith('.ts')) importGraph(target, reached);
  }
  return reached;
}

async function outcome(validator: PushValidator, push: PushToValidate): Promise<number | { code: string; message: string }> {
  try {
    return await validator.validate(push);
  } catch (err) {
    assert.ok(isRelaydError(err), `a RelaydError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
}

describe('PushValidator', () => {
  const onThreads = new PushValidator(2);
  const onLoop = new PushValidator(0);
  after(() => onThreads.close());

  it('counts the samples of every real capture as on the event loop', async () => {
    assert.equal(onThreads.threads, 2);
    assert.equal(onLoop.threads, 0);
    assert.ok(captures.length > 10);
    for (const capture of captures) {
      const push = pushOf(capture.body, capture.route.kind === 'v1-push' ? 'v1' : 'v2', capture.headers['content-encoding']);
      const counted = await onThreads.validate(push);
      assert.ok(counted > 0, capture.name);
      assert.equal(counted, await onLoop.validate(push), capture.name);
    }
  });

  it('refuses bad bodies with the same code and message as on the event loop', async () => {
    for (const [name, push] of REFUSED) {
      const threaded = await outcome(onThreads, push);
      assert.equal(typeof threaded, 'object', `${name}: refused`);
      assert.deepEqual(threaded, await outcome(onLoop, push), name);
    }
  });

  it('rebuilds the catalogue error, status and all, on the event loop side', async () => {
    await assert.rejects(onThreads.validate(REFUSED[5]![1]), (err: unknown) => {
      assert.ok(err instanceof RelaydError);
      assert.equal(err.status, 400);
      assert.match(err.message, /test_run_id is "777", expected "1234"/);
      return true;
    });
  });

  it('validates in arrival order under load, so no push waits behind later ones', async () => {
    const validator = new PushValidator(1);
    const v1 = captures.find((capture) => capture.route.kind === 'v1-push')!;
    const finished: number[] = [];
    await Promise.all(Array.from({ length: 12 }, (_, i) => validator.validate(pushOf(v1.body, 'v1')).then(() => finished.push(i))));
    await validator.close();
    assert.deepEqual(finished, Array.from({ length: 12 }, (_, i) => i));
  });

  it('decompresses a v2 push only when a thread is about to take it, three per thread', async () => {
    const validator = new PushValidator(1);
    const pushes = Array.from({ length: 10 }, () => validator.validate(pushOf(v2Capture.body, 'v2')));
    // The thread is still starting (it loads its module): no push can have been validated yet.
    await new Promise(setImmediate);
    assert.deepEqual(validator.v2Pushes, { decompressed: 3, waiting: 7 });
    assert.ok((await Promise.all(pushes)).every((count) => count > 0));
    assert.deepEqual(validator.v2Pushes, { decompressed: 0, waiting: 0 });
    // A refused decompression gives its turn back: the last push would wait forever otherwise.
    const refusals = await Promise.allSettled(Array.from({ length: 6 }, () => validator.validate(REFUSED[3]![1])));
    assert.ok(refusals.every((refusal) => refusal.status === 'rejected'));
    assert.ok((await validator.validate(pushOf(v2Capture.body, 'v2'))) > 0);
    await validator.close();
  });

  it('stops its threads when they sit idle, and starts them again for the next push', async () => {
    const validator = new PushValidator(2, { threadIdleMs: 50 });
    assert.equal(validator.runningThreads, 0, 'none before the first push');
    const v1 = captures.find((capture) => capture.route.kind === 'v1-push')!;
    await Promise.all([validator.validate(pushOf(v1.body, 'v1')), validator.validate(pushOf(v2Capture.body, 'v2'))]);
    assert.ok(validator.runningThreads > 0);
    for (const deadline = Date.now() + 10_000; validator.runningThreads > 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(validator.runningThreads, 0, 'idle threads stopped');
    assert.ok((await validator.validate(pushOf(v1.body, 'v1'))) > 0);
    assert.equal(validator.runningThreads, 1);
    await validator.close();
  });

  it('finishes the tasks in flight before it closes', async () => {
    const validator = new PushValidator(1);
    const pending = captures.map((capture) => validator.validate(pushOf(capture.body, capture.route.kind === 'v1-push' ? 'v1' : 'v2', capture.headers['content-encoding'])));
    await validator.close();
    const counts = await Promise.all(pending);
    assert.ok(counts.every((count) => count > 0));
  });

  it('runs nothing on its threads that loads the snappy binding (it crashes a process when such a thread exits)', () => {
    const reached = importGraph(fileURLToPath(new URL('../../src/ingest/validation-worker.ts', import.meta.url)));
    assert.ok([...reached].some((file) => file.endsWith('protocol/v1.ts')), 'the walk follows imports');
    assert.deepEqual([...reached].filter((file) => file.endsWith('protocol/snappy.ts') || file === 'snappy'), []);
  });

  it('resolves auto to one thread less than the cores, at least one and at most four', () => {
    const auto = resolveValidationThreads('auto');
    assert.ok(auto >= 1 && auto <= 4);
    assert.equal(resolveValidationThreads(0), 0);
    assert.equal(resolveValidationThreads(3), 3);
  });
});
