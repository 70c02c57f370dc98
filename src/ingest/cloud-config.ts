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

/** The config of a provisional run: k6 prints relayd's own run page instead of a cloud link. */
export function provisionalCloudConfig(runPageUrl: string): Record<string, unknown> {
  return { tracesEnabled: false, testRunDetails: runPageUrl };
}
