// The cloud token: saved by `relayd login` (0600), taken from K6_CLOUD_TOKEN, added upstream for runners
// that send none, never shown by `relayd config print`, the logs or the admin API.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CloudEmulator } from '../emulator/emulator.js';
import { send } from '../emulator/send.js';
import { CREATE_BODY, ScriptedRunner } from '../helpers/runner.js';
import { eventually, RELAYD_BIN, spawnRelayd, tempDir, testOptions } from '../helpers/relayd.js';

const CLOUD_TOKEN = 'c10ud-t0ken-0f-the-relay-4242';
const RUNNER_TOKEN = 'runner-own-cloud-token-9191';

function relayd(args: string[], env: NodeJS.ProcessEnv) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(RELAYD_|K6_CLOUD_|XDG_CONFIG_HOME$)/.test(name)));
  return spawnSync(process.execPath, [RELAYD_BIN, ...args], { env: { ...clean, ...env }, encoding: 'utf8', timeout: 15_000 });
}

describe('tokens', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    home = await tempDir('relayd-home-');
  });
  after(async () => {
    await home.remove();
  });

  it('relayd login saves the token 0600 in $XDG_CONFIG_HOME/relayd, or ~/.config/relayd, and never prints it', async () => {
    const xdg = join(home.path, 'xdg');
    const saved = relayd(['login', '--token', CLOUD_TOKEN], { XDG_CONFIG_HOME: xdg, HOME: home.path });
    assert.equal(saved.status, 0, saved.stderr);
    const path = join(xdg, 'relayd', 'token');
    assert.match(saved.stdout, new RegExp(`token saved to ${path} \\(mode 0600\\)`));
    assert.ok(!saved.stdout.includes(CLOUD_TOKEN) && !saved.stderr.includes(CLOUD_TOKEN));
    assert.equal((await readFile(path, 'utf8')).trim(), CLOUD_TOKEN);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(xdg, 'relayd'))).mode & 0o777, 0o700);

    assert.equal(relayd(['login', '--token', 'replaced-token'], { XDG_CONFIG_HOME: xdg }).status, 0);
    assert.equal((await readFile(path, 'utf8')).trim(), 'replaced-token', 'a second login replaces the token');
    assert.equal((await stat(path)).mode & 0o777, 0o600);

    assert.equal(relayd(['login', '--token', CLOUD_TOKEN], { HOME: home.path }).status, 0);
    assert.equal((await readFile(join(home.path, '.config', 'relayd', 'token'), 'utf8')).trim(), CLOUD_TOKEN);

    const empty = relayd(['login', '--token', ' '], { HOME: home.path });
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /--token: a token is one word/);
  });

  it('config print masks every secret and says where it came from', () => {
    const fromLogin = relayd(['config', 'print', '--json'], { HOME: home.path });
    assert.equal(fromLogin.status, 0, fromLogin.stderr);
    const entries = JSON.parse(fromLogin.stdout) as { option: string; value: string; source: string; from: string }[];
    assert.deepEqual(entries.find((e) => e.option === 'token'), {
      option: 'token',
      value: '********',
      source: 'login',
      from: join(home.path, '.config', 'relayd', 'token'),
    });

    const fromEnv = relayd(['config', 'print', '--accept-token', 'first-accepted', '--accept-token', 'second-accepted'], {
      HOME: home.path,
      K6_CLOUD_TOKEN: 'k6-env-token-777',
    });
    assert.equal(fromEnv.status, 0, fromEnv.stderr);
    assert.match(fromEnv.stdout, /^token\s+\*{8}\s+env\s+K6_CLOUD_TOKEN$/m);
    assert.match(fromEnv.stdout, /^accept-token\s+\*{8}\s+flag\s+--accept-token$/m);
    for (const secret of ['k6-env-token-777', 'first-accepted', 'second-accepted', CLOUD_TOKEN]) {
      assert.ok(!fromEnv.stdout.includes(secret) && !fromEnv.stderr.includes(secret), `${secret} is not shown`);
    }
  });

  describe('upstream', () => {
    let cloud: CloudEmulator;
    let data: Awaited<ReturnType<typeof tempDir>>;
    before(async () => {
      cloud = new CloudEmulator({ acceptTokens: [CLOUD_TOKEN, RUNNER_TOKEN] });
      await cloud.listen();
      data = await tempDir();
    });
    after(async () => {
      await cloud.close();
      await data.remove();
    });

    it("adds relayd's own token for runners that send none, forwards a runner's own, and logs neither", async () => {
      // Every other option as a flag, the token from k6's own variable only.
      const { token: _fromEnvOnly, ...options } = testOptions(cloud.url, data.path, { 'log-level': 'trace' });
      const child = await spawnRelayd(options, { K6_CLOUD_TOKEN: CLOUD_TOKEN, RELAYD_TOKEN: '' });
      try {
        const anonymous = await send(`${child.url}/v1/tests`, { headers: { 'content-type': 'application/json' }, body: CREATE_BODY });
        assert.equal(anonymous.status, 200, anonymous.body.toString());
        const anonymousRun = (JSON.parse(anonymous.body.toString()) as { reference_id: string }).reference_id;
        assert.equal(cloud.runs.get(anonymousRun)!.createHeaders.authorization, `Token ${CLOUD_TOKEN}`);

        const runner = new ScriptedRunner(child.url, { token: `Token ${RUNNER_TOKEN}` });
        assert.equal((await runner.create()).status, 200);
        assert.equal((await runner.push()).status, 200);
        assert.equal((await runner.finish()).status, 200);
        const run = cloud.runs.get(runner.runId)!;
        await eventually(() => run.finish !== undefined, 10_000, 'the run upstream');
        assert.equal(run.createHeaders.authorization, `Token ${RUNNER_TOKEN}`, "the runner's own token goes upstream as it came");
        assert.equal(run.pushes[0]!.headers.authorization, `Token ${RUNNER_TOKEN}`);

        const shown = [
          child.stdout(),
          child.stderr(),
          await (await fetch(`${child.url}/api/v1/runs`)).text(),
          await (await fetch(`${child.url}/api/v1/status`)).text(),
          await (await fetch(`${child.url}/metrics`)).text(),
        ].join('\n');
        assert.match(child.stdout(), /"level":20,.*"msg":"delivered"/, 'debug lines were written too');
        assert.ok(!shown.includes(CLOUD_TOKEN), "relayd's token is in no log line nor admin answer");
        assert.ok(!shown.includes(RUNNER_TOKEN), "nor is the runner's");
      } finally {
        child.child.kill('SIGTERM');
        await child.exited;
      }
    });
  });
});
