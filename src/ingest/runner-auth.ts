// Who may send data. With accepted tokens configured (--accept-token), every k6 API request and
// every stream must carry `Authorization: Token <t>` (k6's scheme; `Bearer` is taken too) with t
// one of them. Tokens are compared as SHA-256 digests with timingSafeEqual: equal lengths, and no
// timing that tells how much of a guess was right. Without tokens (loopback only, or
// --insecure-allow-any-runner) everyone is let in.
import { createHash, timingSafeEqual } from 'node:crypto';
import { RelaydError } from '../errors.js';

const SCHEME = /^(?:Token|Bearer)\s+(\S+)\s*$/i;

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export class RunnerAuth {
  readonly #accepted: readonly Buffer[];

  constructor(tokens: readonly string[]) {
    this.#accepted = tokens.map(digest);
  }

  get required(): boolean {
    return this.#accepted.length > 0;
  }

  /** Throws RELAYD_UNAUTHORIZED unless the Authorization header carries an accepted token. */
  check(authorization: string | undefined): void {
    if (this.#accepted.length === 0 || this.accepts(authorization)) return;
    const presented = SCHEME.test(authorization ?? '');
    throw new RelaydError('RELAYD_UNAUTHORIZED', presented ? 'token not accepted' : 'no "Authorization: Token <t>" header');
  }

  /** Whether the header carries one of the accepted tokens. */
  accepts(authorization: string | undefined): boolean {
    const token = SCHEME.exec(authorization ?? '')?.[1];
    if (token === undefined) return false;
    const presented = digest(token);
    // filter() rather than some(): the time taken does not depend on which token matched.
    return this.#accepted.filter((accepted) => timingSafeEqual(accepted, presented)).length > 0;
  }
}
