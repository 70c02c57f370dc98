// The work of `relayd health`.
import { z } from 'zod';
import { asClient, CLIENT_EXIT, daemonUrl, getJson } from '../daemon-client.js';

const answerSchema = z.looseObject({ status: z.string() });

export async function runHealth(argv: Readonly<Record<string, unknown>>): Promise<number> {
  return asClient(async () => {
    const path = argv.ready === true ? '/readyz' : '/healthz';
    const { status, body } = await getJson(daemonUrl(argv), path, answerSchema, [200, 503]);
    process.stdout.write(argv.json === true ? `${JSON.stringify(body)}\n` : `${body.status}\n`);
    return status === 200 ? CLIENT_EXIT.ok : CLIENT_EXIT.degraded;
  });
}
