// What relayd tells k6 in the create answer's `config` (§1.4, §9.4 of the spec). The cloud's override
// is passed on, minus what would make k6 bypass the relay or fail:
//  - `host` would send metric pushes straight to the cloud, past relayd;
//  - traces go to a gRPC host, never through K6_CLOUD_HOST, so they are switched off explicitly;
//  - `apiVersion: 1` makes k6 >= 0.50 fail; `metricPushConcurrency` < 1 blocks every v2 flush;
//    a v2 aggregation period or wait of 0 or a fraction of a second stops the output from starting.
// `webAppURL` and `testRunDetails` are kept, so k6 prints the real cloud link.
import { parseDuration } from '../config/index.js';

const BYPASSING_KEYS = ['host', 'traceHost'];

/** k6 version from "k6cloud/0.48.0"; null when the runner is not k6. */
export function k6Version(userAgent: string | undefined): [number, number] | null {
  const match = /^k6cloud\/v?(\d+)\.(\d+)/.exec(userAgent ?? '');
  return match ? [Number(match[1]), Number(match[2])] : null;
}

function durationMs(value: unknown): number | null {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? parseDuration(value) : null;
}

function isWholeSeconds(value: unknown): boolean {
  const ms = durationMs(value);
  return ms !== null && ms > 0 && ms % 1000 === 0;
}

export function sanitizeCloudConfig(config: Record<string, unknown> | null, userAgent: string | undefined): Record<string, unknown> {
  const safe: Record<string, unknown> = { ...config };
  for (const key of BYPASSING_KEYS) delete safe[key];
  safe.tracesEnabled = false;

  const version = k6Version(userAgent);
  const v1Gone = version !== null && (version[0] > 0 || version[1] >= 50);
  if (safe.apiVersion === 1 && v1Gone) delete safe.apiVersion;
  const usesV2 = safe.apiVersion === 2 || (safe.apiVersion === undefined && (v1Gone || (version !== null && version[1] >= 48)));
  if (usesV2) {
    for (const key of ['aggregationPeriod', 'aggregationWaitPeriod']) {
      if (key in safe && safe[key] !== null && !isWholeSeconds(safe[key])) delete safe[key];
    }
  }
  const concurrency = safe.metricPushConcurrency;
  if (typeof concurrency === 'number' && concurrency < 1) delete safe.metricPushConcurrency;
  return safe;
}

/** Above any group a v1 aggregation meets (k6 reads it as a Go int): every request goes on its own. */
const NO_GROUP_IS_LARGE_ENOUGH = 2_147_483_647;

/**
 * When relayd aggregates (or transcodes) a k6 run itself, k6 must send raw requests (§5.1):
 *  - a k6 that can only speak v1 here (< 0.45, or the cloud chose apiVersion 1 for a k6 < 0.50)
 *    gets aggregationPeriod 0 and does not aggregate at all;
 *  - any other k6 may be speaking v2, chosen locally (K6_CLOUD_API_VERSION) where relayd cannot see
 *    it, and a v2 output refuses to start with a period of 0. It gets aggregationMinSamples above any
 *    group size instead: a v1 aggregation then sends every request on its own, and v2 (like k6 ≥ 0.50,
 *    which dropped the key) ignores it.
 */
export function withRelayAggregation(config: Record<string, unknown>, userAgent: string | undefined): Record<string, unknown> {
  const raw: Record<string, unknown> = { ...config, aggregationMinSamples: NO_GROUP_IS_LARGE_ENOUGH };
  const version = k6Version(userAgent);
  const v1Only = version !== null && version[0] === 0 && (version[1] < 45 || (config.apiVersion === 1 && version[1] < 50));
  if (v1Only) raw.aggregationPeriod = 0;
  return raw;
}

/**
 * What the k6-operator needs in every create answer, cloud or provisional: it copies these four into
 * its runners' env, panics on a missing `config` and its runners refuse zero values (flows doc §5
 * D13). Where the answer lacks a positive value, k6's own defaults go in.
 */
const OPERATOR_DEFAULTS = { aggregationPeriod: '3s', aggregationWaitPeriod: '8s', metricPushInterval: '1s', metricPushConcurrency: 1 };

/** The k6-operator's create carries `instances` and `process_thresholds`; k6's never does. */
export function isOperatorCreate(create: { readonly instances?: number; readonly process_thresholds?: boolean }): boolean {
  return create.instances !== undefined || create.process_thresholds !== undefined;
}

export function withOperatorSettings(config: Record<string, unknown>): Record<string, unknown> {
  const complete: Record<string, unknown> = { ...config };
  for (const [key, fallback] of Object.entries(OPERATOR_DEFAULTS)) {
    const value = complete[key];
    const positive = key === 'metricPushConcurrency' ? Number.isInteger(value) && (value as number) >= 1 : (durationMs(value) ?? 0) > 0;
    if (!positive) complete[key] = fallback;
  }
  return complete;
}

/** The config of a provisional run: k6 prints relayd's own run page instead of a cloud link. */
export function provisionalCloudConfig(runPageUrl: string): Record<string, unknown> {
  return { tracesEnabled: false, testRunDetails: runPageUrl };
}
