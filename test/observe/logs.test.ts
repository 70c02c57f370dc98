// Logs: JSON lines for machines (journald, docker logs) with a start-up line that tells a person what
// to do next, readable lines when the output is a terminal, and --log-level.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { send } from '../emulator/send.js';
import { eventually, RELAYD_BIN, spawnRelayd, tempDir, testOptions, type ChildRelayd } from '../helpers/relayd.js';
import { CREATE_BODY } from '../helpers/runner.js';

/** A create the upstream (a closed port) cannot take: relayd retries it, logging the retries after the first at debug. */
async function retryingCreate(child: ChildRelayd): Promise<void> {
  assert.equal((await send(`${child.url}/v1/tests`, { body: CREATE_BODY })).status, 200);
  await eventually(
    async () => /relayd_forward_retries_total\{status_class="network"\} ([3-9]|\d\d)/.test(await (await fetch(`${child.url}/metrics`)).text()),
    10_000,
    'a few retries of the create',
  );
}

describe('logs', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    data = await tempDir();
  });
  after(async () => {
    await data.remove();
  });

  it('are JSON lines off a terminal, starting with listen, upstream, data dir, backlog and the k6 command', async () => {
    const options = testOptions('http://127.0.0.1:1', data.path, { 'log-level': 'info', 'create-timeout': '100ms', 'retry-max-delay': '50ms' });
    const child = await spawnRelayd(options);
    try {
      await retryingCreate(child);
      const lines = child.stdout().trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      const ready = lines.find((line) => typeof line.msg === 'string' && line.msg.startsWith('relayd is ready'))!;
      assert.equal(ready.level, 30);
      assert.equal(ready.listen, child.url);
      assert.equal(ready.upstream, 'http://127.0.0.1:1');
      assert.equal(ready.dataDir, data.path);
      assert.equal(ready.backlogItems, 0);
      assert.equal(ready.backlogBytes, 0);
      assert.match(ready.msg as string, new RegExp(`K6_CLOUD_HOST=${child.url} k6 run --out cloud script\\.js`));
      assert.ok(lines.every((line) => line.level !== 20), 'no debug lines at info level');
    } finally {
      child.child.kill('SIGTERM');
      await child.exited;
    }
    const verbose = await spawnRelayd({ ...options, 'log-level': 'debug' });
    await retryingCreate(verbose);
    verbose.child.kill('SIGTERM');
    await verbose.exited;
    assert.match(verbose.stdout(), /"level":20,/, '--log-level debug adds debug lines');
  });

  it('are readable lines on a terminal', async () => {
    const args = ['start', ...Object.entries(testOptions('http://127.0.0.1:1', data.path, { 'log-level': 'info' })).flatMap(([k, v]) => [`--${k}`, v])];
    const command = [process.execPath, RELAYD_BIN, ...args].map((part) => `'${part}'`).join(' ');
    // script(1) runs the command on a pseudo-terminal, as a person's shell would.
    const terminal = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let screen = '';
    // Colours are for the eye; the text between them is what is checked.
    terminal.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString().replace(/\x1b\[[0-9;]*m/g, '')));
    const exited = new Promise((resolve) => terminal.once('exit', resolve));
    try {
      await eventually(() => screen.includes('relayd is ready'), 15_000, 'the start-up line on the terminal');
      const line = screen.split('\n').find((l) => l.includes('relayd is ready'))!;
      assert.doesNotMatch(line, /^\{/, 'not JSON');
      assert.match(line, /INFO/);
      assert.match(line, /\d\d:\d\d:\d\d\.\d{3}/, 'a local time of day');
      assert.match(screen, /listen: "http:\/\/127\.0\.0\.1:\d+"/, 'fields on their own lines');
    } finally {
      process.kill(-terminal.pid!, 'SIGTERM');
      await exited;
    }
  });
});
