export { CloudCreator } from './cloud-creator.js';
export type { CreateResult } from './cloud-creator.js';
export { Forwarder, PUSHES_IN_FLIGHT } from './forwarder.js';
export type { ForwarderOptions } from './forwarder.js';
export { backoffDelay, parseRetryAfter } from './retry-policy.js';
export { classifyResponse } from './outcome.js';
export type { Outcome } from './outcome.js';
export { UpstreamClient } from './upstream-client.js';
export type { UpstreamRequest } from './upstream-client.js';
