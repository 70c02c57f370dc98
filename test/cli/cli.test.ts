// The command-line contract: help for every option, env twins, one-line errors naming the option,
// and a daemon that answers /healthz once it accepts traffic.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { OPTIONS } from '../../src/config/index.js';
import { RELAYD_BIN, spawnRelayd, tempDir, testOptions } from '../helpers/relayd.js';

function relayd(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [RELAYD_BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 15_000 });
}

describe('relayd CLI', () => {
  let data: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    data = await tempDir();
  });
  after(async () => {
    await data.remove();
  });

  it('explains its commands and every start option', () => {
    const top = relayd(['--help']);
    assert.equal(top.status, 0);
    assert.match(top.stdout, /relayd start/);
    const start = relayd(['start', '--help']);
    assert.equal(start.status, 0);
    for (const name of ['config', ...OPTIONS.map((option) => option.name)]) {
      assert.match(start.stdout, new RegExp(`--${name}\\b`), `--${name} is documented`);
    }
    assert.match(start.stdout, /default: "127\.0\.0\.1:6580"/);
    assert.match(start.stdout, /default: "2m"/);
  });

  it('exits non-zero with one line naming a bad flag', () => {
    const result = relayd(['start', '--run-timeout', 'later']);
    assert.equal(result.status, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, /--run-timeout: "later" is not a duration/);
  });

  it('exits non-zero with one line naming a bad environment value', () => {
    const result = relayd(['start'], { RELAYD_LISTEN: 'everywhere' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /RELAYD_LISTEN: "everywhere" is not an address/);
  });

  it('refuses unknown flags', () => {
    const result = relayd(['start', '--turbo']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /Unknown argument: turbo/);
  });

  it('takes options from RELAYD_* variables, and flags win over them', async () => {
    const options = testOptions('http://127.0.0.1:9', data.path);
    delete options['data-dir'];
    const child = await spawnRelayd(options, { RELAYD_DATA_DIR: data.path, RELAYD_LISTEN: '127.0.0.1:1' });
    try {
      assert.match(child.stdout(), new RegExp(`"dataDir":"${data.path}"`));
      assert.doesNotMatch(child.url, /:1$/, 'the --listen flag won over RELAYD_LISTEN');
      const health = await fetch(`${child.url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      child.child.kill('SIGTERM');
      assert.equal(await child.exited, 0, 'SIGTERM stops it cleanly');
      assert.match(child.stdout(), /relayd stopped/);
    } finally {
      child.child.kill('SIGKILL');
    }
  });
});
