// A runner process streaming over WebSocket is killed with SIGKILL mid-stream (batches in flight,
// acknowledgements unread) and another process resumes the run: no sample is lost and none is
// counted twice. (relayd itself killed mid-stream: aggregation-sigkill.test.ts.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { addSamples, assertSameTotals, emptyTotals, upstreamTotals } from '../helpers/metric-totals.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { streamBatches } from '../helpers/stream-traffic.js';

const CLIENT = fileURLToPath(new URL('../helpers/stream-client-process.ts', import.meta.url));
const FAST = { 'metric-push-interval': '100ms', 'aggregation-calc-interval': '100ms' };

interface ClientProcess {
  readonly events: Record<string, unknown>[];
  readonly exited: Promise<number | string>;
  kill(): void;
}

function runClient(args: string[]): ClientProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLIENT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const events: Record<string, unknown>[] = [];
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) events.push(JSON.parse(line) as Record<string, unknown>);
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { events, exited, kill: () => child.kill('SIGKILL') };
}

describe('the stream across kill -9', () => {
  const stack = useRelaydStack(FAST);

  it('loses and doubles nothing when a runner process is killed mid-stream and another resumes', async () => {
    const traffic = { requestsPerBatch: 20, startMs: Date.now() - 600_000 };
    const batches = 300;
    const first = runClient([stack.relayd.url, 'new', String(batches), '20', String(traffic.startMs), 'keep']);
    await eventually(() => first.events.some((e) => Number(e.acked) >= 60), 30_000, 'the first runner to get 60 batches acknowledged');
    first.kill();
    assert.equal(await first.exited, 'SIGKILL');
    const runId = String(first.events[0]!.runId);
    const lastAckSeen = Math.max(...first.events.map((e) => Number(e.acked ?? 0)));

    const second = runClient([stack.relayd.url, runId, String(batches), '20', String(traffic.startMs), 'finish']);
    assert.equal(await second.exited, 0);
    const resumedAt = Number(second.events[0]!.nextSeq);
    assert.ok(resumedAt > lastAckSeen, `the second runner started after every batch the first saw acknowledged (${resumedAt} > ${lastAckSeen})`);

    const run = stack.emulator.runs.get(runId)!;
    await eventually(() => run.finish !== undefined, 20_000, 'the finish upstream');
    assertSameTotals(upstreamTotals(run.pushes), addSamples(emptyTotals(), streamBatches(batches, traffic).flat()), 'upstream totals');
    console.log(`# killed runner: acknowledged up to ${lastAckSeen} as seen by it, relayd had up to ${resumedAt - 1}; ${batches} batches in all`);
  });
});
