// The synchronous create: a runner's create is forwarded to the cloud at once, bounded by the create
// timeout. The three answers map to what ingest tells k6: created (pass the id on), refused (pass the
// cloud's 4xx back as it came, so k6 fails as it would without relayd) or unreachable (relayd answers
// with a provisional id and queues the create).
import { parseCreateAnswer, type CreateAnswer } from './create-answer.js';
import type { UpstreamClient, UpstreamRequest } from './upstream-client.js';

export type CreateResult =
  | ({ readonly kind: 'created' } & CreateAnswer)
  | { readonly kind: 'refused'; readonly status: number; readonly body: Buffer }
  | { readonly kind: 'unreachable'; readonly reason: string };

export class CloudCreator {
  readonly #client: UpstreamClient;
  readonly #timeoutMs: number;

  constructor(client: UpstreamClient, timeoutMs: number) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
  }

  async create(request: UpstreamRequest, signal: AbortSignal): Promise<CreateResult> {
    const outcome = await this.#client.send(request, signal, this.#timeoutMs);
    switch (outcome.kind) {
      case 'retry':
        return { kind: 'unreachable', reason: outcome.reason };
      case 'reject':
        return { kind: 'refused', status: outcome.status, body: outcome.body };
      case 'delivered': {
        const answer = parseCreateAnswer(outcome.body);
        return answer
          ? { kind: 'created', ...answer }
          : { kind: 'unreachable', reason: `HTTP ${outcome.status} without a usable reference_id` };
      }
    }
  }
}
