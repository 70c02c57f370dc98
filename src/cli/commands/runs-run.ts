// The work of `relayd runs [ID]`.
import { z } from 'zod';
import { runListSchema, runViewSchema, type RunView } from '../../ingest/admin-messages.js';
import { ADMIN_API_PREFIX } from '../../ingest/admin-path.js';
import { asClient, CLIENT_EXIT, daemonUrl, getJson } from '../daemon-client.js';
import { formatBytes, formatTable } from '../table.js';

const errorSchema = z.object({ error: z.object({ message: z.string() }) });

function shortTime(iso: string | null): string {
  return iso === null ? '-' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Who created the run: relayd (answered by the cloud, or provisional until it was) or someone else. */
function originOf(run: RunView): string {
  if (run.adopted) return 'adopted';
  return run.provisional ? 'provisional' : 'relayd';
}

export function describeRuns(runs: readonly RunView[]): string {
  if (runs.length === 0) return 'no runs\n';
  return formatTable(
    ['ID', 'STATE', 'ORIGIN', 'UPSTREAM ID', 'SAMPLES IN', 'SAMPLES OUT', 'PENDING', 'DEAD', 'LAST DATA', 'LAST ERROR'],
    runs.map((run) => [
      run.id,
      run.state,
      originOf(run),
      run.upstreamId ?? '-',
      run.persisted.samples,
      run.delivered.samples,
      run.pending.requests,
      run.deadLettered.requests,
      shortTime(run.lastDataAt),
      run.lastError ?? '',
    ]),
  );
}

export function describeRun(run: RunView): string {
  const header = [
    `run ${run.id} "${run.name}": ${run.state}${run.provisional ? ' (provisional)' : ''}${run.adopted ? ' (adopted: created elsewhere, finished by its creator)' : ''}, upstream id ${run.upstreamId ?? 'none yet'}`,
    `created ${shortTime(run.createdAt)}, ended ${shortTime(run.endedAt)}, data from ${shortTime(run.firstDataAt)} to ${shortTime(run.lastDataAt)}`,
    '',
  ].join('\n');
  const row = (label: string, tally: { requests: number; samples: number; bytes: number }) => [label, tally.requests, tally.samples, formatBytes(tally.bytes)];
  const ledger = formatTable(
    ['', 'PUSHES', 'SAMPLES', 'BYTES'],
    [
      row('received', run.received),
      row('persisted', run.persisted),
      row('delivered', run.delivered),
      row('dead-lettered', run.deadLettered),
      ['pending', run.pending.requests, '', formatBytes(run.pending.bytes)],
    ],
  );
  return `${header}\n${ledger}${run.lastError ? `\nlast upstream error: ${run.lastError}\n` : ''}`;
}

export async function runRuns(argv: Readonly<Record<string, unknown>>): Promise<number> {
  return asClient(async () => {
    const base = daemonUrl(argv);
    const json = argv.json === true;
    if (typeof argv.id !== 'string') {
      const { body } = await getJson(base, `${ADMIN_API_PREFIX}/runs`, runListSchema);
      process.stdout.write(json ? `${JSON.stringify(body, null, 2)}\n` : describeRuns(body.runs));
      return CLIENT_EXIT.ok;
    }
    const { status, body } = await getJson(base, `${ADMIN_API_PREFIX}/runs/${encodeURIComponent(argv.id)}`, runViewSchema.or(errorSchema), [200, 404]);
    if (status === 404 || !('id' in body)) {
      process.stderr.write(`relayd: no run ${argv.id} (relayd runs lists them)\n`);
      return CLIENT_EXIT.notFound;
    }
    process.stdout.write(json ? `${JSON.stringify(body, null, 2)}\n` : describeRun(body));
    return CLIENT_EXIT.ok;
  });
}
