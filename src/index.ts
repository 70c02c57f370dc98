// The package's library entry point (`import { RelaydClient } from 'relayd'`): a typed client of
// relayd's WebSocket stream and a reader of k6 JSON results files. The daemon itself is the CLI.
export {
  K6JsonError,
  RelaydClient,
  RelaydClientError,
  parseRfc3339,
  readK6JsonResults,
  type NewRun,
  type RelaydClientOptions,
  type ResultsReading,
  type RunEnd,
} from './client/index.js';
export type { StreamMetricType, StreamSample } from './protocol/index.js';
