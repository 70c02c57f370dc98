export { createLogger, terminalDestination } from './logger.js';
export type { Logger } from './logger.js';
export { Health } from './health.js';
export type { NotReadyCondition, Readiness } from './health.js';
export { ingestOutcome, Metrics, statusClass } from './metrics.js';
export type { IngestEndpoint, IngestOutcome, StatusClass, UpstreamContact, WatchedState } from './metrics.js';
