// The work of `relayd status`.
import { statusSchema, type StatusView } from '../../ingest/admin-messages.js';
import { ADMIN_API_PREFIX } from '../../ingest/admin-path.js';
import { asClient, CLIENT_EXIT, daemonUrl, getJson } from '../daemon-client.js';
import { formatAge, formatBytes, formatTable } from '../table.js';

export function describeStatus(status: StatusView): string {
  const { backlog, upstream, footprint } = status;
  const ready = status.ready ? 'yes' : `no: ${status.conditions.map((c) => `${c.condition}: ${c.reason}`).join('; ')}`;
  const runs = Object.entries(status.runsByState).map(([state, count]) => `${state} ${count}`);
  const adopted = Object.entries(status.adoptedRunsByState).map(([state, count]) => `${state} ${count}`);
  const rows = [
    ['daemon', `up ${formatAge(status.uptimeSeconds)} (relayd ${status.version}), listening on ${status.listen}, data in ${status.dataDir}`],
    ['ready', ready],
    ['upstream', `${upstream.url} ${upstream.reachable ? 'reachable' : 'NOT reachable'} (${upstream.detail})`],
    ['backlog', `${backlog.requests} requests, ${formatBytes(backlog.bytes)} in ${backlog.runs} runs, oldest ${formatAge(backlog.oldestAgeSeconds)}`],
    ['dead letters', String(status.deadLetters)],
    ['footprint', `RSS ${formatBytes(footprint.rssBytes)}, store ${footprint.storeBytes === null ? 'not measured (no disk quota)' : `${formatBytes(footprint.storeBytes)} on disk`}`],
    ['runs', runs.length > 0 ? runs.join(', ') : 'none'],
    ...(adopted.length > 0 ? [['adopted runs', `${adopted.join(', ')} (created elsewhere; relayd forwards them, their creator finishes them)`]] : []),
    ...status.notices.map((notice) => ['notice', notice]),
  ];
  return formatTable(['', ''], rows).split('\n').slice(1).join('\n');
}

export async function runStatus(argv: Readonly<Record<string, unknown>>): Promise<number> {
  return asClient(async () => {
    const { body } = await getJson(daemonUrl(argv), `${ADMIN_API_PREFIX}/status`, statusSchema);
    process.stdout.write(argv.json === true ? `${JSON.stringify(body, null, 2)}\n` : describeStatus(body));
    return body.ready && body.upstream.reachable ? CLIENT_EXIT.ok : CLIENT_EXIT.degraded;
  });
}
