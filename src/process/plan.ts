// Which runs relayd processes, and how: decided once, when a run is created, from the config.
//
//   runner           aggregation-period  upstream-protocol   plan
//   k6 (HTTP API)    0                   auto | v1           none: every item goes upstream as received
//   k6 (HTTP API)    > 0                 auto | v1           v1 output, aggregated (§5)
//   k6 (HTTP API)    any                 v2                  v2 output: API v1 input transcoded, aggregated (§6)
//   stream           any                 auto | v2           v2 output (or v1 when the create asks for it)
//   stream           any                 v1                  v1 output (or v2 when the create asks for it)
//
// A processed run's API v2 pushes (k6 ≥ 0.48 aggregates those itself) always go upstream as received.
// v2 needs a bucket width even when relayd's own aggregation is off: then k6's v2 default, 3 s.
import type { AggregationSettings, UpstreamProtocol } from '../config/index.js';
import type { ProcessingPlan } from '../runs/index.js';

const V2_DEFAULT_PERIOD_MS = 3000;

export type RunSource = { readonly kind: 'k6' } | { readonly kind: 'stream'; readonly protocol?: 'v1' | 'v2' };

export function processingPlanFor(
  settings: AggregationSettings,
  upstream: UpstreamProtocol,
  source: RunSource,
): ProcessingPlan | undefined {
  const output = source.kind === 'stream' ? (source.protocol ?? (upstream === 'v1' ? 'v1' : 'v2')) : upstream === 'v2' ? 'v2' : 'v1';
  if (source.kind === 'k6' && output === 'v1' && settings.periodMs === 0) return undefined;
  return {
    output,
    periodMs: output === 'v2' && settings.periodMs === 0 ? V2_DEFAULT_PERIOD_MS : settings.periodMs,
    waitPeriodMs: settings.waitPeriodMs,
    minSamples: settings.minSamples,
    iqrRadius: settings.iqrRadius,
    iqrCoefLower: settings.iqrCoefLower,
    iqrCoefUpper: settings.iqrCoefUpper,
  };
}
