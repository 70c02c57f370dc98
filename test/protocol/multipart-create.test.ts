// The multipart create scanner on the real k6 v1.3.0 body, fed in pieces as a socket would, and the
// tar header check on which it relies.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MultipartCreateScanner, isMultipartForm, isTarHeader } from '../../src/protocol/index.js';
import { MULTIPART_CAPTURE, capturedArchive } from '../helpers/multipart.js';

function scan(body: Buffer, pieceBytes: number, contentType = MULTIPART_CAPTURE.headers['content-type']!) {
  const scanner = new MultipartCreateScanner(contentType);
  for (let at = 0; at < body.length; at += pieceBytes) scanner.write(body.subarray(at, at + pieceBytes));
  return scanner.end();
}

describe('multipart create scanner', () => {
  for (const pieceBytes of [1, 7, 512, 1 << 20]) {
    it(`reads k6's fields from the captured body in ${pieceBytes}-byte pieces`, async () => {
      assert.deepEqual(await scan(MULTIPART_CAPTURE.body, pieceBytes), { name: 'script.js', vus: 5, duration: 38, project_id: 0 });
    });
  }

  it('tells multipart Content-Types from others', () => {
    assert.equal(isMultipartForm(MULTIPART_CAPTURE.headers['content-type']), true);
    assert.equal(isMultipartForm('Multipart/Form-Data'), true);
    assert.equal(isMultipartForm('application/json'), false);
    assert.equal(isMultipartForm('multipart/form-datax; boundary=a'), false);
    assert.equal(isMultipartForm(undefined), false);
  });
});

describe('tar header check', () => {
  const header = capturedArchive().subarray(0, 512);

  it("accepts k6's archive (ustar) and the GNU magic with its checksum", () => {
    assert.equal(isTarHeader(header), true);
    const gnu = Buffer.from(header);
    gnu.write('ustar  \0', 257, 'latin1');
    const sum = gnu.reduce((total, byte, i) => total + (i >= 148 && i < 156 ? 0x20 : byte), 0);
    gnu.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    assert.equal(isTarHeader(gnu), true);
  });

  it('refuses a changed byte, a wrong magic, a short block and zeros', () => {
    const changed = Buffer.from(header);
    changed[0] = changed[0]! ^ 1;
    assert.equal(isTarHeader(changed), false);
    const magic = Buffer.from(header);
    magic.write('zip!', 257, 'latin1');
    assert.equal(isTarHeader(magic), false);
    assert.equal(isTarHeader(header.subarray(0, 511)), false);
    assert.equal(isTarHeader(Buffer.alloc(512)), false);
  });
});
