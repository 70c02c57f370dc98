export { RelaydClient, RelaydClientError, type NewRun, type RelaydClientOptions, type RunEnd } from './relayd-client.js';
export { K6JsonError, parseLine, parseRfc3339, readK6JsonResults, type ResultsReading } from './k6-json-results.js';
