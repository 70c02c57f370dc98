// `npm run emulator -- --port 6590 [--host 127.0.0.1] [--token T]… [--run-timeout-ms N] [--config JSON]`
// Runs a CloudEmulator until SIGINT/SIGTERM, printing its URL and one line per k6 request.

import { parseArgs } from 'node:util';
import { CloudEmulator } from './emulator.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '6590' },
    host: { type: 'string', default: '127.0.0.1' },
    token: { type: 'string', multiple: true, default: [] },
    'run-timeout-ms': { type: 'string', default: '120000' },
    config: { type: 'string', default: '{}' },
  },
});

const emulator = new CloudEmulator({
  acceptTokens: values.token,
  runTimeoutMs: Number(values['run-timeout-ms']),
  createConfig: JSON.parse(values.config) as Record<string, unknown>,
  onRequest: (request) => {
    const outcome = request.status === 0 ? 'reset' : String(request.status);
    const detail = request.error ?? `samples=${request.samples}${request.duplicate ? ' duplicate' : ''}`;
    console.log(
      `${new Date(request.receivedAt).toISOString()} ${request.method} ${request.path} ${request.body.length}B -> ${outcome} ${detail}`,
    );
  },
});

const url = await emulator.listen(Number(values.port), values.host);
console.log(`k6 cloud emulator listening on ${url} (K6_CLOUD_HOST=${url}; admin API at ${url}/_emulator/)`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void emulator.close());
}
