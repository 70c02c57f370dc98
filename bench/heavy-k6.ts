// What "a heavy k6 run" produces, the yardstick of the drain and end-to-end scenarios.
//
// With API v2 (k6's default since v0.48, the only protocol since v0.50), k6 aggregates samples into
// 3 s buckets per time series and flushes the closed buckets, at most 1000 series per request, with
// one request in flight (metricPushConcurrency 1). Its volume therefore follows the number of active
// time series, not the request rate: a bucket of 10 or 10,000 requests is one histogram value.
// A heavy run here is 10,000 active series: about 1,000 distinct request tag sets (URL × method ×
// status, i.e. a large API test whose URLs are not grouped by `name`) × 9 HTTP series, plus the
// iteration, check and VU series. That is ten times the series of a 100-endpoint test and well
// above what most tests produce. It makes 10 pushes of 1000 series every 3 s.
export const HEAVY_K6 = {
  activeSeries: 10_000,
  flushEverySeconds: 3,
  pushesPerFlush: 10,
  description: 'a heavy k6 run: 10,000 active time series in 3 s buckets = 10 pushes of 1000 series every 3 s',
} as const;

/** Pushes per second a heavy k6 run sends on average. */
export const HEAVY_K6_PUSHES_PER_SECOND = HEAVY_K6.pushesPerFlush / HEAVY_K6.flushEverySeconds;
