// `relayd replay results.json.gz`: a k6 --out json results file (made from a real k6 run's samples)
// streamed by the real CLI, as a child process, into a new cloud run through a running relayd. The
// cloud receives totals equal to the file's, the run finishes, and the summary names the run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderProgress } from '../../src/cli/commands/replay-progress.js';
import { writeResultsFile } from '../helpers/k6-json-file.js';
import { addSamples, assertSameTotals, emptyTotals, upstreamTotals } from '../helpers/metric-totals.js';
import { eventually, RELAYD_BIN, tempDir, useRelaydStack } from '../helpers/relayd.js';

const TOKEN = 'replay-token-3f9e';

function replay(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [RELAYD_BIN, 'replay', ...args], { env: { ...process.env, K6_CLOUD_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('relayd replay', () => {
  const stack = useRelaydStack({ 'metric-push-interval': '100ms', 'aggregation-calc-interval': '100ms' }, { createConfig: { webAppURL: 'https://app.example.test' } });
  let files: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    files = await tempDir();
  });
  after(() => files.remove());

  it("uploads a gzipped k6 JSON results file as a new cloud run whose totals equal the file's", async () => {
    const file = join(files.path, 'results.json.gz');
    const { samples } = writeResultsFile(file);
    const result = await replay([file, '--url', stack.relayd.url, '--name', 'offline run', '--batch-size', '100']);
    assert.equal(result.code, 0, result.stderr);
    const runId = /into run (\d+)/.exec(result.stdout)?.[1];
    assert.ok(runId, `the summary names the run: ${result.stdout}`);
    assert.match(result.stdout, new RegExp(`replayed ${samples.length.toLocaleString('en-US')} samples from .*results\\.json\\.gz`));
    assert.match(result.stdout, new RegExp(`link: https://app\\.example\\.test/runs/${runId}`));

    const run = stack.emulator.runs.get(runId)!;
    await eventually(() => run.finish !== undefined, 20_000, 'the finish upstream');
    assert.equal(run.createBody.name, 'offline run');
    assert.equal(run.createHeaders.authorization, `Token ${TOKEN}`, 'K6_CLOUD_TOKEN went with the create');
    assert.equal(run.runStatus, 3);
    assertSameTotals(upstreamTotals(run.pushes), addSamples(emptyTotals(), samples), 'upstream totals');
  });

  it('stops at a bad line, says which, and finishes the run as aborted by the system', async () => {
    const file = join(files.path, 'broken.json');
    const { samples } = writeResultsFile(file, { badLineAfter: 1000 });
    const result = await replay([file, '--url', stack.relayd.url, '--batch-size', '100', '--json']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /line \d+: data\.time is not an RFC 3339 time/);
    const runId = /run (\d+) was finished as aborted/.exec(result.stderr)?.[1];
    const run = stack.emulator.runs.get(runId!)!;
    await eventually(() => run.finish !== undefined, 20_000, 'the finish upstream');
    assert.equal(run.runStatus, 6);
    // Batches of 100 went until the bad line: at most the samples before it, and most of them.
    const sent = upstreamTotals(run.pushes).rates.checks?.total ?? 0;
    const before = addSamples(emptyTotals(), samples.slice(0, 1000)).rates.checks?.total ?? 0;
    assert.ok(sent <= before && sent > 0, `the checks before the bad line went (${sent} of ${before})`);
  });

  it('exits 3 with a clear line when no relayd answers', async () => {
    const file = join(files.path, 'tiny.json');
    writeResultsFile(file);
    const result = await replay([file, '--url', 'http://127.0.0.1:9']);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /no relayd answered at http:\/\/127\.0\.0\.1:9/);
  });

  it('draws a progress bar of the file read and the samples acknowledged', () => {
    assert.equal(renderProgress(0.5, 12345), '[###############---------------]  50%  12,345 samples acknowledged');
    assert.equal(renderProgress(1.2, 0), '[##############################] 100%  0 samples acknowledged');
  });
});
