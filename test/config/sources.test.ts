// Where option values come from: defaults < login file < --config file < environment < flags, each
// value remembering its source; and what a bad configuration file or value says.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildConfig,
  ConfigError,
  defaultsFile,
  OPTIONS,
  packageRoot,
  readConfigFile,
  resolvedOrigins,
  resolvedTexts,
  resolveOptions,
  type OptionLayers,
} from '../../src/config/index.js';
import { tempDir } from '../helpers/relayd.js';

function problemsOf(work: () => unknown): string[] {
  try {
    work();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, not ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('option sources', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir('relayd-config-');
  });
  after(async () => {
    await dir.remove();
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir.path, name);
    await writeFile(path, text);
    return path;
  }

  it('takes flags over the environment over the file over the defaults, and knows where each came from', async () => {
    const layers: OptionLayers = {
      defaults: defaultsFile(),
      file: readConfigFile(await file('layers.yaml', 'run-timeout: 5m\nlisten: 127.0.0.1:7001\ndata-dir: /from/file\n')),
      env: { RELAYD_LISTEN: '127.0.0.1:7002', RELAYD_DATA_DIR: '/from/env' },
      flags: { 'data-dir': '/from/flag' },
    };
    const resolved = resolveOptions(layers);
    assert.deepEqual(resolved['upstream'], { text: 'https://ingest.k6.io', source: 'default', where: layers.defaults.path });
    assert.deepEqual(resolved['run-timeout'], { text: '5m', source: 'file', where: layers.file!.path });
    assert.deepEqual(resolved['listen'], { text: '127.0.0.1:7002', source: 'env', where: 'RELAYD_LISTEN' });
    assert.deepEqual(resolved['data-dir'], { text: '/from/flag', source: 'flag', where: '--data-dir' });

    const config = buildConfig(resolvedTexts(resolved), resolvedOrigins(resolved));
    assert.equal(config.runTimeoutMs, 300_000);
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: 7002 });
    assert.equal(config.dataDir, '/from/flag');
    assert.equal(config.upstream, 'https://ingest.k6.io');
  });

  it("reads the token from RELAYD_TOKEN, then k6's K6_CLOUD_TOKEN, then the file, then the login file", () => {
    const base = { defaults: defaultsFile(), flags: {} };
    const login = { path: '/home/x/.config/relayd/token', token: 'from-login' };
    const file = { path: '/etc/relayd/relayd.yaml', values: { token: 'from-file' } };
    const token = (layers: Partial<OptionLayers>) => resolveOptions({ ...base, env: {}, ...layers })['token']!;
    assert.deepEqual(token({}), { text: '', source: 'default', where: base.defaults.path });
    assert.deepEqual(token({ login }), { text: 'from-login', source: 'login', where: login.path });
    assert.equal(token({ login, file }).text, 'from-file');
    assert.deepEqual(token({ login, file, env: { K6_CLOUD_TOKEN: 'from-k6' } }), { text: 'from-k6', source: 'env', where: 'K6_CLOUD_TOKEN' });
    assert.equal(token({ login, file, env: { K6_CLOUD_TOKEN: 'from-k6', RELAYD_TOKEN: 'from-relayd' } }).text, 'from-relayd');
    assert.equal(token({ login, env: { K6_CLOUD_TOKEN: '' } }).text, 'from-login', 'an empty variable counts as unset');
    assert.equal(buildConfig(resolvedTexts(resolveOptions({ ...base, env: {} }))).token, null, 'no token by default');
  });

  it('joins list values from a YAML list, repeated flags and a comma-separated variable', () => {
    const base = { defaults: defaultsFile(), env: {}, flags: {} };
    const file = { path: 'f.yaml', values: { 'accept-token': ['a', 'b'] } };
    assert.equal(resolveOptions({ ...base, file })['accept-token']!.text, 'a,b');
    assert.equal(resolveOptions({ ...base, flags: { 'accept-token': ['c', 'd'] } })['accept-token']!.text, 'c,d');
    assert.equal(resolveOptions({ ...base, flags: { 'run-timeout': ['1m', '2m'] } })['run-timeout']!.text, '2m', 'a repeated single flag: the last wins');
    assert.deepEqual(buildConfig(resolvedTexts(resolveOptions({ ...base, env: { RELAYD_ACCEPT_TOKEN: 'e, f' } }))).acceptTokens, ['e', 'f']);
  });

  it('reports every problem of a config file at once, each with the path of its key', async () => {
    const path = await file(
      'bad.yaml',
      ['listen: [1, 2]', 'turbo: true', 'accept-token: [ok, {nested: 1}]', 'retry:', '  max: 3', 'run-timeout: soon'].join('\n'),
    );
    const problems = problemsOf(() => readConfigFile(path));
    assert.deepEqual(problems.sort(), [
      `${path}: accept-token[1]: expected a single value (text, a number, true or false)`,
      `${path}: listen: expected a single value (text, a number, true or false)`,
      `${path}: unknown option "retry"`,
      `${path}: unknown option "turbo"`,
    ]);
    const error = new ConfigError(problems);
    assert.equal(error.message.split('\n').length, 1, 'one line');
  });

  it('names the file and key of a bad value, and the variable or flag of others, in one message', async () => {
    const layers: OptionLayers = {
      defaults: defaultsFile(),
      file: readConfigFile(await file('values.yaml', 'run-timeout: soon\nmax-body-size: 12 parsecs\n')),
      env: { RELAYD_UPSTREAM: 'ftp://nowhere' },
      flags: { listen: 'everywhere' },
    };
    const resolved = resolveOptions(layers);
    const problems = problemsOf(() => buildConfig(resolvedTexts(resolved), resolvedOrigins(resolved)));
    const path = layers.file!.path;
    assert.deepEqual(problems, [
      '--listen: "everywhere" is not an address like 127.0.0.1:6580',
      'RELAYD_UPSTREAM: "ftp://nowhere" is not an http(s) URL like https://ingest.k6.io',
      `${path}: run-timeout: "soon" is not a duration (e.g. 500ms, 30s, 2m)`,
      `${path}: max-body-size: "12 parsecs" is not a size (e.g. 512KiB, 32MiB, 1GiB)`,
    ]);
  });

  it('says where YAML that does not parse went wrong, and refuses a file that is not a mapping', async () => {
    const broken = await file('broken.yaml', 'listen: 127.0.0.1:6580\nupstream: "https://unterminated\n');
    assert.match(problemsOf(() => readConfigFile(broken))[0]!, new RegExp(`^${broken}:\\d+:\\d+: Missing closing "quote`));
    const list = await file('list.yaml', '- listen\n- upstream\n');
    assert.deepEqual(problemsOf(() => readConfigFile(list)), [`${list}: expected a mapping of option names to values`]);
    assert.deepEqual(problemsOf(() => readConfigFile(join(dir.path, 'absent.yaml'))), [`--config: cannot read ${join(dir.path, 'absent.yaml')} (ENOENT)`]);
    assert.deepEqual(readConfigFile(await file('empty.yaml', '# nothing set\n')).values, {});
  });

  it('documents every option in config/relayd.yaml with its default and a comment above it', () => {
    const lines = readFileSync(join(packageRoot(), 'config', 'relayd.yaml'), 'utf8').split('\n');
    const keys = lines.filter((line) => /^[a-z]/.test(line)).map((line) => line.split(':', 1)[0]);
    assert.deepEqual([...keys].sort(), OPTIONS.map((option) => option.name).sort(), 'the same options, each once');
    for (const option of OPTIONS) {
      const at = lines.findIndex((line) => line.startsWith(`${option.name}:`));
      assert.match(lines[at - 1]!, /^# /, `${option.name} has a comment`);
    }
    assert.doesNotThrow(() => buildConfig(resolvedTexts(resolveOptions({ defaults: defaultsFile(), env: {}, flags: {} }))));
  });
});
