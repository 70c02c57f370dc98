// The one table of relayd's options: name (flag and config-file key), kind (how its text is parsed)
// and help text. Defaults live in config/relayd.yaml; the environment twin of `name` is
// RELAYD_<NAME>, then any `env` alias (k6's own K6_CLOUD_* name where it has one). The CLI builds its
// flags from this table, sources.ts resolves each value (defaults < file < environment < flags) and
// buildConfig parses by `kind`, so a new option is one row here, one line in relayd.yaml and one
// field in Config.

export type OptionKind = 'address' | 'url' | 'path' | 'duration' | 'size' | 'count' | 'threads' | 'level' | 'list' | 'boolean' | 'file' | 'quota' | 'text' | 'k6-duration' | 'k6-period' | 'number' | 'protocol';

export interface OptionSpec {
  readonly name: string;
  readonly kind: OptionKind;
  readonly describe: string;
  /** Environment names read after RELAYD_<NAME>, in order (e.g. K6_CLOUD_TOKEN). */
  readonly env?: readonly string[];
  /** A credential: masked by `relayd config print` and never echoed in an error message. */
  readonly secret?: boolean;
}

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'listen', kind: 'address', describe: 'Address to listen on for runners (host:port)' },
  { name: 'upstream', kind: 'url', describe: 'Cloud ingest API to forward to (what K6_CLOUD_HOST would otherwise be)' },
  { name: 'data-dir', kind: 'path', describe: 'Directory of the LevelDB queue (created if missing)' },
  { name: 'run-timeout', kind: 'duration', describe: 'Time without data nor finish after which a run is timed out (run_status 4)' },
  { name: 'create-timeout', kind: 'duration', describe: 'How long a create may wait for the cloud before relayd answers with a provisional id' },
  { name: 'upstream-timeout', kind: 'duration', describe: 'Per-attempt timeout of an upstream request' },
  { name: 'upstream-connections', kind: 'count', describe: 'Parallel connections to the upstream' },
  { name: 'retry-initial-delay', kind: 'duration', describe: 'Upper bound of the first retry wait (full jitter, doubling)' },
  { name: 'retry-max-delay', kind: 'duration', describe: 'Upper bound of any retry wait' },
  { name: 'max-body-size', kind: 'size', describe: 'Largest request body accepted from a runner, as received' },
  { name: 'max-create-size', kind: 'size', describe: 'Largest multipart create (k6 cloud run --local-execution: the test archive), streamed to disk, never held in memory' },
  { name: 'max-decompressed-size', kind: 'size', describe: 'Largest body after decompression (decompression bombs stop here)' },
  { name: 'max-v2-decompressed-size', kind: 'size', describe: 'Largest API v2 (protobuf) push after snappy decompression; a snappy block is held whole while it is checked' },
  { name: 'max-header-size', kind: 'size', describe: 'Largest total size of a request\'s headers (431 above it)' },
  { name: 'validation-threads', kind: 'threads', describe: 'Worker threads that parse and check push bodies (v1 JSON, v2 MetricSets); 0: on the event loop ("auto": one less than the cores, at most 4)' },
  { name: 'max-tags', kind: 'count', describe: 'Most tags (v1) or labels (v2) one sample or time series may carry' },
  { name: 'max-ws-message-size', kind: 'size', describe: 'Largest WebSocket message accepted on the stream endpoint' },
  { name: 'max-disk', kind: 'quota', describe: 'Disk quota of the store; at it, pushes get 503 + Retry-After ("auto": min(10GiB, 90% of the free space at start))' },
  { name: 'shutdown-grace', kind: 'duration', describe: 'On SIGTERM/SIGINT, keep forwarding the backlog for up to this long before exiting' },
  { name: 'accept-token', kind: 'list', secret: true, describe: 'Token a runner must present (Authorization: Token <t>); repeatable. Required on a non-loopback --listen' },
  { name: 'insecure-allow-any-runner', kind: 'boolean', describe: 'Allow a non-loopback --listen without --accept-token (any client may push)' },
  { name: 'upstream-ca', kind: 'file', describe: 'PEM file of extra CA certificates to verify the upstream\'s TLS certificate (a private CA)' },
  { name: 'token', kind: 'text', env: ['K6_CLOUD_TOKEN'], secret: true, describe: "relayd's own cloud token, sent upstream for runners that send no Authorization header (prefer K6_CLOUD_TOKEN or relayd login: flags show in ps)" },
  // The aggregation relayd does for k6 v1 runs and raw streams (src/process), with k6's names,
  // defaults (those of k6 <= 0.47) and value syntax: a bare number of a duration is milliseconds.
  { name: 'aggregation-period', kind: 'k6-period', env: ['K6_CLOUD_AGGREGATION_PERIOD'], describe: 'Time bucket of the aggregation relayd does for v1 runs and streams; 0 turns it off (whole seconds)' },
  { name: 'aggregation-calc-interval', kind: 'k6-duration', env: ['K6_CLOUD_AGGREGATION_CALC_INTERVAL'], describe: 'How often relayd looks for aggregation buckets that are due' },
  { name: 'aggregation-wait-period', kind: 'k6-duration', env: ['K6_CLOUD_AGGREGATION_WAIT_PERIOD'], describe: 'How long a bucket stays open for late samples before it is aggregated' },
  { name: 'aggregation-min-samples', kind: 'count', env: ['K6_CLOUD_AGGREGATION_MIN_SAMPLES'], describe: 'v1: a group of fewer requests than this is sent request by request' },
  { name: 'aggregation-outlier-iqr-radius', kind: 'number', env: ['K6_CLOUD_AGGREGATION_OUTLIER_IQR_RADIUS'], describe: 'v1 outliers: Q1 and Q3 are the median minus and plus this fraction' },
  { name: 'aggregation-outlier-iqr-coef-lower', kind: 'number', env: ['K6_CLOUD_AGGREGATION_OUTLIER_IQR_COEF_LOWER'], describe: 'v1 outliers: below Q1 - coef * IQR' },
  { name: 'aggregation-outlier-iqr-coef-upper', kind: 'number', env: ['K6_CLOUD_AGGREGATION_OUTLIER_IQR_COEF_UPPER'], describe: 'v1 outliers: above Q3 + coef * IQR' },
  { name: 'metric-push-interval', kind: 'k6-duration', env: ['K6_CLOUD_METRIC_PUSH_INTERVAL'], describe: 'How often aggregated data is handed to the forwarder' },
  { name: 'upstream-protocol', kind: 'protocol', describe: 'Metric protocol upstream: auto (as the runner sent it), v1, or v2 (v1 input is transcoded)' },
  { name: 'log-level', kind: 'level', describe: 'Log level: trace, debug, info, warn, error, fatal, silent' },
];

export function envName(option: string): string {
  return `RELAYD_${option.toUpperCase().replaceAll('-', '_')}`;
}

/** Every environment name of an option, highest precedence first. */
export function envNames(option: OptionSpec): string[] {
  return [envName(option.name), ...(option.env ?? [])];
}
