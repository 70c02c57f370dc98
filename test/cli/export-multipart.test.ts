// `relayd export` and `relayd check` on a store holding a queued multipart create: the export line
// names the archive's file (its body is not in the store), and the store checks out as healthy.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CloudEmulator } from '../emulator/emulator.js';
import { send } from '../emulator/send.js';
import { MULTIPART_CAPTURE, capturedCreateHeaders } from '../helpers/multipart.js';
import { RELAYD_BIN, startInProcess, tempDir, testOptions } from '../helpers/relayd.js';

function relayd(args: string[]) {
  return spawnSync(process.execPath, [RELAYD_BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('offline commands with a queued multipart create', () => {
  let emulator: CloudEmulator;
  let base: Awaited<ReturnType<typeof tempDir>>;
  let dataDir: string;
  let runId: string;

  before(async () => {
    emulator = new CloudEmulator();
    await emulator.listen();
    await emulator.down();
    base = await tempDir('relayd-offline-multipart-');
    dataDir = join(base.path, 'store');
    const daemon = await startInProcess(testOptions(emulator.url, dataDir));
    const created = await send(`${daemon.url}/v1/tests`, { headers: capturedCreateHeaders(), body: MULTIPART_CAPTURE.body });
    assert.equal(created.status, 200);
    runId = (JSON.parse(created.body.toString()) as { reference_id: string }).reference_id;
    await daemon.close();
  });
  after(async () => {
    await emulator.close();
    await base.remove();
  });

  it('export names the body file of the create, which holds the body as received', async () => {
    const result = relayd(['export', '--run', runId, '--data-dir', dataDir]);
    assert.equal(result.status, 0, result.stderr);
    const [line, ...more] = result.stdout.split('\n').filter((text) => text !== '').map((text) => JSON.parse(text) as Record<string, unknown>);
    assert.equal(more.length, 0);
    assert.equal(line!.kind, 'create');
    assert.equal(line!.body, '');
    assert.equal((line!.headers as Record<string, string>)['content-type'], MULTIPART_CAPTURE.headers['content-type']);
    assert.match(String(line!.bodyFile), /^bodies\/[0-9a-f-]+\.body$/);
    assert.ok((await readFile(join(dataDir, String(line!.bodyFile)))).equals(MULTIPART_CAPTURE.body));
  });

  it('check finds the store healthy', () => {
    const result = relayd(['check', '--data-dir', dataDir]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});
