// Which runner headers go into the queue and upstream, unchanged on every retry (§9.4 of the spec):
// the Authorization that upstream-authorization.ts chose, body framing that describes the stored bytes, the idempotency key, the protocol version,
// X-Payload-*, the User-Agent (the cloud tells k6 versions apart by it) and X-Stack-Id (k6 v1.6–v2.1
// send it on the create when a stack is configured, flows §1.1). Hop-by-hop and transport
// headers (Host, Transfer-Encoding, Content-Length, Accept-Encoding) are the forwarder's own business.
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const FORWARDED = new Set([
  'content-type',
  'content-encoding',
  'k6-idempotency-key',
  'k6-metrics-protocol-version',
  'user-agent',
  'x-stack-id',
]);

/** `authorization` is what goes upstream in place of the runner's header (upstream-authorization.ts). */
export function forwardedHeaders(headers: IncomingHttpHeaders, authorization: string | undefined): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || !(FORWARDED.has(name) || name.startsWith('x-payload-'))) continue;
    picked[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (authorization !== undefined) picked.authorization = authorization;
  // relayd retries for the runner, so every request needs a key the cloud can deduplicate on.
  picked['k6-idempotency-key'] ??= randomBytes(8).toString('hex');
  return picked;
}
