// The run's own results (issue 12): computed from what relayd acknowledged, persisted, served to the pages.
export type { DeliveryPoint, ResultBucket, ResultsSource, RunResults, SummaryRow, ThresholdResult } from './types.js';
export { ResultsEngine, type ResultsEngineOptions } from './engine.js';
export type { PushDigest } from './digest.js';
