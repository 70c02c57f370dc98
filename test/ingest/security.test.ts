// Security defaults, on a real daemon: runners must present an accepted token when one is
// configured (and relayd refuses a non-loopback listen address without one), the upstream's TLS
// certificate is verified (a private CA only with --upstream-ca), and header sizes and tag counts
// are bounded, each refusal a clear JSON error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { gzipSync, gunzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { decodeMetricSet, encodeMetricSet, snappyCompress, snappyUncompressBounded, rewriteTestRunId } from '../../src/protocol/index.js';
import { CloudEmulator } from '../emulator/emulator.js';
import { loadFixture } from '../emulator/fixtures.js';
import { send, type SendResult } from '../emulator/send.js';
import { eventually, RELAYD_BIN, spawnRelayd, startInProcess, tempDir, testOptions, type InProcessRelayd, type Options } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';

const TLS_DIR = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));

function relaydCode(response: SendResult): string | undefined {
  assert.equal(response.headers['content-type'], 'application/json');
  return (JSON.parse(response.body.toString()) as { error: { details: { relayd_code: string[] } } }).error.details.relayd_code[0];
}

/** A TLS front for the emulator with the test CA's certificate: the cloud behind a private CA. */
async function tlsFront(port: number): Promise<TlsServer> {
  const server = createTlsServer({ key: readFileSync(`${TLS_DIR}server.key`), cert: readFileSync(`${TLS_DIR}server.pem`) }, (socket) => {
    const inner: Socket = connect(port, '127.0.0.1');
    socket.pipe(inner).pipe(socket);
    const close = (): void => {
      socket.destroy();
      inner.destroy();
    };
    socket.on('error', close);
    inner.on('error', close);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('security defaults', () => {
  let emulator: CloudEmulator;
  let base: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    emulator = new CloudEmulator();
    await emulator.listen();
    base = await tempDir('relayd-security-');
  });
  after(async () => {
    await emulator.close();
    await base.remove();
  });

  describe('with accepted runner tokens', () => {
    let relayd: InProcessRelayd;
    before(async () => {
      relayd = await startInProcess(testOptions(emulator.url, `${base.path}/tokens`, { 'accept-token': 'alpha-secret,beta-secret' }));
    });
    after(async () => {
      await relayd.close();
    });

    it('refuses data without an accepted token with 401 and a JSON error, and takes it with one', async () => {
      const good = new ScriptedRunner(relayd.url, { token: 'Token beta-secret' });
      assert.equal((await good.create()).status, 200);
      const missing = await send(`${relayd.url}/v2/metrics/${good.runId}`, { headers: {}, body: Buffer.from('x') });
      assert.equal(missing.status, 401);
      assert.equal(relaydCode(missing), 'RELAYD_UNAUTHORIZED');
      const intruder = new ScriptedRunner(relayd.url, { token: 'Token gamma-guess' });
      intruder.runId = good.runId;
      const refused = await intruder.push();
      assert.equal(refused.status, 401);
      assert.match(refused.body.toString(), /token not accepted/);
      assert.equal((await good.push()).status, 200);
      assert.equal((await fetch(`${relayd.url}/healthz`)).status, 200, 'health checks need no token');
      assert.equal((await fetch(`${relayd.url}/readyz`)).status, 200);
      assert.ok(!relayd.logs().includes('gamma-guess') && !relayd.logs().includes('beta-secret'), 'no token in the logs');
    });

    it('refuses a WebSocket stream without an accepted token', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${relayd.url.replace('http', 'ws')}/v1/stream`, { headers: { authorization: 'Token gamma-guess' } });
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('open', () => reject(new Error('the stream opened without a token')));
        socket.once('error', () => undefined);
      });
      assert.equal(status, 401);
    });
  });

  it('refuses to start on a non-loopback address without a token, unless told it is fine', async () => {
    const dataDir = `${base.path}/listen`;
    // No cloud token from this machine's environment or a saved `relayd login` either.
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: base.path, HOME: base.path };
    for (const name of ['K6_CLOUD_TOKEN', 'RELAYD_TOKEN', 'RELAYD_ACCEPT_TOKEN', 'RELAYD_INSECURE_ALLOW_ANY_RUNNER']) delete env[name];
    const refused = spawnSync(process.execPath, [RELAYD_BIN, 'start', '--listen', '0.0.0.0:0', '--data-dir', dataDir], { encoding: 'utf8', timeout: 15_000, env });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /0\.0\.0\.0 is not a loopback address.*--accept-token.*--token.*--insecure-allow-any-runner/);

    const accepted: Options[] = [{ 'accept-token': 'sidecar-secret' }, { 'insecure-allow-any-runner': 'true' }];
    for (const extra of accepted) {
      const child = await spawnRelayd(testOptions(emulator.url, dataDir, { ...extra, listen: '0.0.0.0:0' }));
      if ('insecure-allow-any-runner' in extra) assert.match(child.stdout(), /any client that can reach the port may send data/);
      child.child.kill('SIGTERM');
      assert.equal(await child.exited, 0, `${JSON.stringify(extra)}: ${child.stdout()}\n${child.stderr()}`);
    }
  });

  it("beyond loopback takes relayd's own cloud token as the runners' token", async () => {
    const relayd = await startInProcess(testOptions(emulator.url, `${base.path}/own-token`, { listen: '0.0.0.0:0', token: 'own-cloud-secret' }));
    try {
      const url = relayd.url.replace('0.0.0.0', '127.0.0.1');
      const anonymous = await send(`${url}/v1/tests`, { headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') });
      assert.equal(anonymous.status, 401);
      assert.equal(relaydCode(anonymous), 'RELAYD_UNAUTHORIZED');
      const runner = new ScriptedRunner(url, { token: 'Token own-cloud-secret' });
      assert.equal((await runner.create()).status, 200);
      assert.equal((await runner.push()).status, 200);
    } finally {
      await relayd.close();
    }
  });

  it('bounds header sizes and tag counts with JSON errors', async () => {
    const relayd = await startInProcess(testOptions(emulator.url, `${base.path}/limits`, { 'max-header-size': '8KiB', 'max-tags': '8' }));
    try {
      const runner = new ScriptedRunner(relayd.url);
      await runner.create();
      const huge = await send(`${relayd.url}/v2/metrics/${runner.runId}`, { headers: { 'x-padding': 'p'.repeat(12 * 1024) }, body: Buffer.from('x') });
      assert.equal(huge.status, 431);
      assert.equal(relaydCode(huge), 'RELAYD_HEADERS_TOO_LARGE');

      const v1 = loadFixture('v1').find((c) => c.route.kind === 'v1-push')!;
      const envelopes = JSON.parse(gunzipSync(v1.body).toString()) as { data: { tags?: Record<string, string> } }[];
      envelopes[0]!.data.tags = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`t${i}`, 'v']));
      const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: 'Token x' };
      const v1Response = await send(`${relayd.url}/v1/metrics/${runner.runId}`, { headers, body: gzipSync(JSON.stringify(envelopes)) });
      assert.equal(v1Response.status, 400);
      assert.equal(relaydCode(v1Response), 'RELAYD_TOO_MANY_TAGS');
      assert.match(v1Response.body.toString(), /\[0\]\.data\.tags has 9 tags, limit 8/);

      const v2 = loadFixture('v2').find((c) => c.route.kind === 'v2-push')!;
      const metricSet = decodeMetricSet(snappyUncompressBounded(v2.body, 1 << 24));
      metricSet.metrics[0]!.timeSeries[0]!.labels = Array.from({ length: 9 }, (_, i) => ({ name: `l${i}`, value: 'v' }));
      const v2Body = snappyCompress(rewriteTestRunId(encodeMetricSet(metricSet), runner.runId));
      const v2Headers = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', authorization: 'Token x' };
      const v2Response = await send(`${relayd.url}/v2/metrics/${runner.runId}`, { headers: v2Headers, body: v2Body });
      assert.equal(v2Response.status, 400);
      assert.equal(relaydCode(v2Response), 'RELAYD_TOO_MANY_TAGS');
      assert.equal((await runner.push()).status, 200, 'a push within the limits is taken');
    } finally {
      await relayd.close();
    }
  });

  describe('upstream TLS', () => {
    let front: TlsServer;
    let upstream: string;
    before(async () => {
      front = await tlsFront(new URL(emulator.url).port as unknown as number);
      upstream = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise<void>((resolve) => front.close(() => resolve()));
    });

    it('does not trust a certificate from a private CA by default', async () => {
      const before = emulator.requests.length;
      const relayd = await startInProcess(testOptions(upstream, `${base.path}/tls-default`, { 'create-timeout': '1s' }));
      try {
        const runner = new ScriptedRunner(relayd.url);
        assert.equal((await runner.create()).status, 200, 'relayd still answers k6 (a provisional run)');
        assert.equal((await runner.push()).status, 200);
        await eventually(() => /certificate/i.test(relayd.logs()), 10_000, 'the certificate error in the log');
        assert.equal(emulator.requests.length, before, 'nothing went to a server whose certificate did not verify');
      } finally {
        await relayd.close();
      }
    });

    it('verifies the upstream against --upstream-ca and delivers through it', async () => {
      const relayd = await startInProcess(testOptions(upstream, `${base.path}/tls-ca`, { 'upstream-ca': `${TLS_DIR}ca.pem` }));
      try {
        const runner = new ScriptedRunner(relayd.url);
        assert.equal((await runner.create()).status, 200);
        assert.ok(emulator.runs.has(runner.runId), 'created in the cloud through TLS');
        assert.equal((await runner.push()).status, 200);
        await eventually(() => emulator.runs.get(runner.runId)!.pushes.length === 1, 10_000, 'the push through TLS');
      } finally {
        await relayd.close();
      }
    });
  });
});
