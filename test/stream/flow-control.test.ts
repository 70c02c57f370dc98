// Flow control on the stream: while a batch is being written, relayd reads nothing more from that
// connection, so a client that sends faster than the disk takes waits in its own send buffer, and
// relayd's memory does not grow with what the client pushes. relayd runs as a child process here,
// so that its reading is not paced by the test's own event loop.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useChildStack } from '../helpers/child-stack.js';
import { streamBatch } from '../helpers/stream-traffic.js';
import { RawSocket } from './raw-socket.js';

describe('stream flow control', () => {
  const stack = useChildStack();

  it('reads no further while a batch is being written: a client that sends faster waits in its own buffer', async () => {
    const socket = await RawSocket.open(stack.relayd.url);
    socket.send({ type: 'create', name: 'flow control' });
    await socket.next('created');
    // 80 batches of ~215 KiB sent at once, 17 MiB: far more than the socket buffers between the two
    // hold, so what relayd has not read is still in the client's buffer.
    const samples = streamBatch(1, { requestsPerBatch: 100, startMs: Date.now() - 60_000 });
    const batches = 80;
    let sent = 0;
    for (let seq = 1; seq <= batches; seq++) {
      const text = JSON.stringify({ type: 'batch', seq, samples });
      sent += text.length;
      socket.send(text);
    }
    await socket.next('ack');
    // Reading it all at once, relayd would have emptied the client's buffer by now (it does, when
    // the pause is taken out); the kernel's socket buffers hold a few MiB of what remains.
    const waiting = socket.ws.bufferedAmount;
    console.log(`# flow control: when the first ack came, ${waiting} of ${sent} bytes still waited on the client side`);
    assert.ok(waiting > sent / 4, `when the first ack came, ${waiting} of ${sent} bytes still waited on the client side`);
    for (let seq = 2; seq <= batches; seq++) await socket.next('ack', 30_000);
    socket.close();
  });
});
