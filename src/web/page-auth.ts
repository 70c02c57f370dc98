// Who may see the pages: the same people who may send data (RunnerAuth). When relayd checks runner
// tokens (--accept-token, or a non-loopback --listen with relayd's own token), a page needs one too.
// A browser cannot add `Authorization: Token <t>` by itself, so the pages also take HTTP Basic with
// the token as the password (any user name): the browser prompts once, then sends it with every
// request of the origin, the scripts, styles and the event stream included. The token is only
// compared, never shown nor logged.
import type { RunnerAuth } from '../ingest/runner-auth.js';

const BASIC = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i;

/** The realm the browser names in its prompt. */
export const BASIC_CHALLENGE = 'Basic realm="relayd (the password is a runner token)", charset="UTF-8"';

/** The runner token in a Basic header's password, as the `Token <t>` header RunnerAuth reads. */
function basicAsToken(authorization: string): string | undefined {
  const encoded = BASIC.exec(authorization)?.[1];
  if (encoded === undefined) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : `Token ${decoded.slice(colon + 1)}`;
}

export function pageAllowed(auth: RunnerAuth, authorization: string | undefined): boolean {
  if (!auth.required) return true;
  if (authorization === undefined) return false;
  return auth.accepts(basicAsToken(authorization) ?? authorization);
}
