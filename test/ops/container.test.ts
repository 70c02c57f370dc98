// The container image without a Docker engine: the Dockerfile's final stage is read (never restated
// here) and carried out as far as it can be on this machine. Its COPY lines lay out the app in a
// temp dir, `npm ci --omit=dev` becomes a copy of the production packages of package-lock.json (so a
// runtime import of a dev dependency fails here as it would in the image), and its CMD, ENV and
// HEALTHCHECK run as an unprivileged user (nobody, via setpriv, when the test runs as root). The
// volume is a temp dir owned by that user, and the port a free one (two tests must not fight over
// 6580); the listen host and everything else are the image's.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, cp, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packageRoot } from '../../src/config/index.js';
import { CloudEmulator } from '../emulator/emulator.js';
import { send } from '../emulator/send.js';
import { CREATE_BODY, ScriptedRunner } from '../helpers/runner.js';
import { unusedPort } from '../helpers/ports.js';
import { eventually, tempDir } from '../helpers/relayd.js';

const ROOT = packageRoot();
const NOBODY = 65534;
const CLOUD_TOKEN = 'sidecar-cloud-token-5150';
const RUNNER_TOKEN = 'sidecar-runner-token-8080';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The instructions of each stage, continuation lines joined and comments dropped. */
function stages(dockerfile: string): Instruction[][] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const result: Instruction[][] = [];
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)!.push(instruction);
  }
  return result;
}

function all(stage: Instruction[], keyword: string): string[] {
  return stage.filter((i) => i.keyword === keyword).map((i) => i.args);
}

function one(stage: Instruction[], keyword: string): string {
  const found = all(stage, keyword);
  assert.equal(found.length, 1, `one ${keyword}`);
  return found[0]!;
}

/** ENV a=b c=d, as Docker reads it (values here have no spaces or quotes). */
function envOf(stage: Instruction[]): Record<string, string> {
  return Object.fromEntries(all(stage, 'ENV').flatMap((args) => args.split(/\s+/).map((pair) => pair.split('=', 2) as [string, string])));
}

const isRoot = process.getuid?.() === 0;
/** The command as the image's user would run it: nobody when we can switch, else ourselves (not root either). */
function asUnprivileged(argv: readonly string[]): [string, string[]] {
  return isRoot ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', ...argv]] : [argv[0]!, argv.slice(1)];
}

describe('container image', () => {
  let final: Instruction[];
  let build: Instruction[];
  let app: Awaited<ReturnType<typeof tempDir>>;
  let volume: Awaited<ReturnType<typeof tempDir>>;
  let cloud: CloudEmulator;

  before(async () => {
    const parsed = stages(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    assert.equal(parsed.length, 2, 'a build stage and a run stage');
    [build, final] = parsed as [Instruction[], Instruction[]];
    cloud = new CloudEmulator({ acceptTokens: [CLOUD_TOKEN] });
    await cloud.listen();
  });
  after(async () => {
    await cloud.close();
    await app?.remove();
    await volume?.remove();
  });

  it('builds on a current Node LTS slim image and runs production dependencies only, as a non-root user', () => {
    for (const stage of [build, final]) {
      const [image] = one(stage, 'FROM').split(/\s+/);
      const major = Number(/^node:(\d+)-slim$/.exec(image!)?.[1]);
      assert.ok(major >= 22 && major % 2 === 0, `${image} is an LTS line, slim`);
    }
    assert.ok(all(final, 'RUN').some((run) => /^npm ci --omit=dev\b/.test(run)), 'npm ci --omit=dev');
    assert.ok(!all(final, 'RUN').some((run) => /npm (i|install|ci)(?!.*--omit=dev)/.test(run)), 'no other install');
    const user = one(final, 'USER');
    assert.ok(!['root', '0'].includes(user), `runs as ${user}`);
    const env = envOf(final);
    assert.deepEqual(JSON.parse(one(final, 'VOLUME').startsWith('[') ? one(final, 'VOLUME') : `["${one(final, 'VOLUME')}"]`), [env.RELAYD_DATA_DIR]);
    assert.equal(env.RELAYD_DATA_DIR, '/var/lib/relayd');
    assert.ok(all(final, 'RUN').some((run) => run.includes(`chown ${user}:${user} /var/lib/relayd`)), 'the volume belongs to the user');
    assert.equal(env.RELAYD_LISTEN, `0.0.0.0:${one(final, 'EXPOSE')}`);
    assert.equal(one(final, 'EXPOSE'), '6580');
    assert.match(one(final, 'HEALTHCHECK'), /^(--\S+ )*CMD \[/);
  });

  it('serves /healthz, passes its HEALTHCHECK, relays a sidecar run and stops on SIGTERM, as a non-root user', async () => {
    // The image's file system: the COPY lines of the final stage, and its production packages.
    app = await tempDir('relayd-image-');
    const workdir = one(final, 'WORKDIR');
    const buildWorkdir = one(build, 'WORKDIR');
    for (const args of all(final, 'COPY')) {
      const parts = args.split(/\s+/);
      const fromBuild = parts[0] === '--from=build';
      const paths = fromBuild ? parts.slice(1) : parts;
      const destination = join(app.path, paths.at(-1)!);
      for (const source of paths.slice(0, -1)) {
        // The build stage compiles this repository in its WORKDIR: its /app/dist is our dist.
        const local = fromBuild ? join(ROOT, source.slice(buildWorkdir.length)) : join(ROOT, source);
        const target = paths.at(-1)!.endsWith('/') ? join(destination, source.split('/').at(-1)!) : destination;
        await mkdir(dirname(target), { recursive: true });
        await cp(local, target, { recursive: true });
      }
    }
    const lock = JSON.parse(await readFile(join(app.path, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || entry.dev === true) continue;
      const installed = join(ROOT, path);
      if (spawnSync('test', ['-d', installed]).status !== 0) continue; // an optional package for another platform
      await cp(installed, join(app.path, path), { recursive: true, verbatimSymlinks: true });
    }
    await chmod(app.path, 0o755);
    volume = await tempDir('relayd-volume-');
    if (isRoot) await chown(volume.path, NOBODY, NOBODY);

    const port = await unusedPort();
    const imageEnv = envOf(final);
    const env = {
      PATH: process.env.PATH!,
      HOME: '/nonexistent',
      ...imageEnv,
      RELAYD_LISTEN: imageEnv.RELAYD_LISTEN!.replace(/:\d+$/, `:${port}`),
      RELAYD_DATA_DIR: volume.path,
      // What `docker run -e` adds for a sidecar: the cloud, relayd's token and the runners' token.
      RELAYD_UPSTREAM: cloud.url,
      K6_CLOUD_TOKEN: CLOUD_TOKEN,
      RELAYD_ACCEPT_TOKEN: RUNNER_TOKEN,
    };
    assert.equal(workdir, '/app');
    const cmd = JSON.parse(one(final, 'CMD')) as string[];
    const [file, args] = asUnprivileged(cmd);
    const daemon = spawn(file, args, { cwd: app.path, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    daemon.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    daemon.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    try {
      await eventually(async () => (await fetch(`${url}/healthz`).catch(() => null))?.status === 200, 15_000, `/healthz (stdout: ${out} stderr: ${err})`);
      assert.match(out, new RegExp(`"listen":"http://0\\.0\\.0\\.0:${port}"`), 'listening on every interface of the container');
      const uid = /^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${daemon.pid}/status`, 'utf8'))?.[1];
      assert.notEqual(uid, '0', 'not root');
      if (isRoot) assert.equal(uid, String(NOBODY));

      const healthcheck = JSON.parse(one(final, 'HEALTHCHECK').replace(/^(--\S+ )*CMD /, '')) as string[];
      const check = () => {
        const [checkFile, checkArgs] = asUnprivileged(healthcheck);
        return spawnSync(checkFile, checkArgs, { cwd: app.path, env, encoding: 'utf8', timeout: 15_000 });
      };
      const healthy = check();
      assert.equal(healthy.status, 0, healthy.stderr);
      assert.equal(healthy.stdout, 'ok\n');

      const stranger = await send(`${url}/v1/tests`, { headers: { 'content-type': 'application/json' }, body: CREATE_BODY });
      assert.equal(stranger.status, 401, 'a runner without the accepted token is refused');
      const runner = new ScriptedRunner(url, { token: `Token ${RUNNER_TOKEN}` });
      assert.equal((await runner.create()).status, 200);
      assert.equal((await runner.push()).status, 200);
      assert.equal((await runner.finish()).status, 200);
      const run = cloud.runs.get(runner.runId)!;
      await eventually(() => run.finish !== undefined, 10_000, 'the sidecar run upstream');
      assert.equal(run.pushes[0]!.headers.authorization, `Token ${CLOUD_TOKEN}`, "the runner's token stays in the pod; relayd's goes upstream");

      daemon.kill('SIGTERM');
      assert.equal(await exited, 0, 'SIGTERM stops it cleanly');
      assert.match(out, /relayd stopped/);
      assert.equal(check().status, 3, 'the HEALTHCHECK fails once it is gone');
    } finally {
      daemon.kill('SIGKILL');
      await exited;
    }
  });
});
