// A multipart create acknowledged while the cloud is down survives kill -9: after the restart its
// archive is still on disk, k6's retry of the create gets the same run, and the create reaches the
// cloud once, byte for byte. Files a crash left behind
// (a half-written archive, one whose create never made it into the store) are deleted at start.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { send } from '../emulator/send.js';
import { useChildStack } from '../helpers/child-stack.js';
import { MULTIPART_CAPTURE, capturedCreateHeaders } from '../helpers/multipart.js';
import { eventually } from '../helpers/relayd.js';

describe('multipart create across kill -9', () => {
  const stack = useChildStack();

  it('keeps the acknowledged archive, deletes leftovers, answers a retry with the same run, and creates it once the cloud is back', async () => {
    const bodies = join(stack.dir, 'store', 'bodies');
    await stack.emulator.down();
    const created = await send(`${stack.relayd.url}/v1/tests`, { headers: capturedCreateHeaders(), body: MULTIPART_CAPTURE.body });
    assert.equal(created.status, 200);
    const provisional = (JSON.parse(created.body.toString()) as { reference_id: string }).reference_id;
    const [kept] = await readdir(bodies);
    assert.ok(kept);
    await writeFile(join(bodies, 'half-written.body'), MULTIPART_CAPTURE.body.subarray(0, 1000));

    await stack.restart();
    assert.deepEqual(await readdir(bodies), [kept], 'the leftover is gone, the acknowledged archive kept');
    assert.ok((await readFile(join(bodies, kept))).equals(MULTIPART_CAPTURE.body));
    // k6 never saw the answer (relayd died) and sends the same create again: the same run.
    const retried = await send(`${stack.relayd.url}/v1/tests`, { headers: capturedCreateHeaders(), body: MULTIPART_CAPTURE.body });
    assert.equal(retried.status, 200);
    assert.equal((JSON.parse(retried.body.toString()) as { reference_id: string }).reference_id, provisional, 'the retry after the restart gets the same id');
    assert.deepEqual(await readdir(bodies), [kept], "the retry's copy is not kept");

    const finish = Buffer.from('{"result_status":0,"run_status":3,"thresholds":{}}');
    const finished = await send(`${stack.relayd.url}/v1/tests/${provisional}`, { headers: { 'content-type': 'application/json', authorization: 'Token testtoken' }, body: finish });
    assert.equal(finished.status, 200);
    await stack.emulator.up();
    await eventually(() => stack.emulator.runs.get('1234')?.finish !== undefined, 20_000, 'the run created and finished in the cloud');
    const run = stack.emulator.runs.get('1234')!;
    assert.ok(run.create.body.equals(MULTIPART_CAPTURE.body), 'the create arrives byte for byte');
    assert.equal(run.create.headers['content-type'], MULTIPART_CAPTURE.headers['content-type']);
    assert.equal(stack.emulator.requests.filter((r) => r.route?.kind === 'create').length, 1);
    await eventually(async () => (await readdir(bodies)).length === 0, 5000, 'the archive deleted after delivery');
  });
});
