// The four k6 cloud ingest endpoints (§0) and the k6-operator's events call, matched from a request path. Shared by the emulator's
// router and the fixture loader so both classify a request the same way.

export type Route =
  | { kind: 'create' }
  | { kind: 'v1-push'; runId: string }
  | { kind: 'v2-push'; runId: string }
  | { kind: 'finish'; runId: string }
  | { kind: 'events'; runId: string };

const CREATE = /^\/v1\/tests$/;
const FINISH = /^\/v1\/tests\/([^/]+)$/;
const PUSH = /^\/v([12])\/metrics\/([^/]+)$/;
const EVENTS = /^\/orchestrator\/v1\/testruns\/([^/]+)\/events$/;

/** Matches the path without its query string; undefined for any other path. */
export function matchRoute(path: string): Route | undefined {
  const pathname = path.split('?', 1)[0] ?? '';
  if (CREATE.test(pathname)) return { kind: 'create' };
  const finish = FINISH.exec(pathname);
  if (finish) return { kind: 'finish', runId: decodeURIComponent(finish[1]!) };
  const push = PUSH.exec(pathname);
  if (push) return { kind: push[1] === '1' ? 'v1-push' : 'v2-push', runId: decodeURIComponent(push[2]!) };
  const events = EVENTS.exec(pathname);
  if (events) return { kind: 'events', runId: decodeURIComponent(events[1]!) };
  return undefined;
}

export function routePath(route: Route): string {
  switch (route.kind) {
    case 'create':
      return '/v1/tests';
    case 'finish':
      return `/v1/tests/${encodeURIComponent(route.runId)}`;
    case 'v1-push':
      return `/v1/metrics/${encodeURIComponent(route.runId)}`;
    case 'v2-push':
      return `/v2/metrics/${encodeURIComponent(route.runId)}`;
    case 'events':
      return `/orchestrator/v1/testruns/${encodeURIComponent(route.runId)}/events`;
  }
}
