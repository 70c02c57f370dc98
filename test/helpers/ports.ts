// A loopback port that nothing listens on right now (bound, read, released): for a daemon that must
// not use the fixed default, or for a client that must find no one there.
import { createServer } from 'node:net';

export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
