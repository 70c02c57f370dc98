// The emulator's admin API under /_emulator/, so a test can drive an emulator running in a child
// process. Never affected by injected faults.
//
//   GET    /_emulator/runs            run summaries
//   POST   /_emulator/runs            {"name"?: s}: a run created elsewhere (createRunElsewhere) → 201 its summary
//   GET    /_emulator/runs/:id        one run's summary and its requests (without bodies)
//   GET    /_emulator/requests        every k6 request (without bodies)
//   GET    /_emulator/fault           the active fault, or null
//   POST   /_emulator/fault           set a fault (fault.ts), or clear it with null → 204
//   DELETE /_emulator/fault           clear the fault → 204
//   POST   /_emulator/down            {"forMs": n}: refuse connections for n ms → 202
//   POST   /_emulator/create-config   replace the config merged into create responses → 204

import type { CloudEmulator } from './emulator.js';
import { parseFault } from './fault.js';
import { K6_CODE_GENERIC, K6_CODE_VALIDATION, type Reply, errorReply } from './reply.js';
import { summariseRequest } from './run.js';

const RUN_PATH = /^\/_emulator\/runs\/([^/]+)$/;

export function handleAdmin(emulator: CloudEmulator, method: string, path: string, body: Buffer): Reply {
  const pathname = path.split('?', 1)[0] ?? '';
  try {
    const run = RUN_PATH.exec(pathname);
    if (run !== null && method === 'GET') return runDetail(emulator, decodeURIComponent(run[1]!));
    switch (`${method} ${pathname}`) {
      case 'GET /_emulator/runs':
        return { status: 200, body: [...emulator.runs.values()].map((r) => r.summary()) };
      case 'POST /_emulator/runs': {
        const { name } = parseObject(body.length === 0 ? {} : parseJson(body));
        if (name !== undefined && (typeof name !== 'string' || name === '')) throw new Error('name: expected a non-empty string');
        return { status: 201, body: emulator.createRunElsewhere(name).summary() };
      }
      case 'GET /_emulator/requests':
        return { status: 200, body: emulator.requests.map(summariseRequest) };
      case 'GET /_emulator/fault':
        return { status: 200, body: emulator.fault };
      case 'POST /_emulator/fault':
        emulator.setFault(parseFault(parseJson(body)));
        return { status: 204 };
      case 'DELETE /_emulator/fault':
        emulator.setFault(null);
        return { status: 204 };
      case 'POST /_emulator/down': {
        const forMs = parseDown(parseJson(body));
        return { status: 202, afterSent: () => emulator.downFor(forMs) };
      }
      case 'POST /_emulator/create-config':
        emulator.createConfig = parseObject(parseJson(body));
        return { status: 204 };
      default:
        return errorReply(404, K6_CODE_GENERIC, `no admin endpoint ${method} ${pathname}`);
    }
  } catch (err) {
    return errorReply(400, K6_CODE_VALIDATION, (err as Error).message);
  }
}

function runDetail(emulator: CloudEmulator, id: string): Reply {
  const run = emulator.runs.get(id);
  if (run === undefined) return errorReply(404, K6_CODE_GENERIC, `unknown test run ${id}`);
  const requests = [...run.pushes, ...run.events, ...(run.finish === undefined ? [] : [run.finish])];
  return { status: 200, body: { ...run.summary(), requests: requests.map(summariseRequest) } };
}

function parseJson(body: Buffer): unknown {
  return JSON.parse(body.toString('utf8'));
}

function parseObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
  return value as Record<string, unknown>;
}

function parseDown(value: unknown): number {
  const forMs = parseObject(value).forMs;
  if (typeof forMs !== 'number' || !(forMs >= 0)) throw new Error('forMs: expected a number of milliseconds');
  return forMs;
}
