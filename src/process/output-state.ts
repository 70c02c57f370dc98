// The persisted part of a run's output aggregation, and the watermark of emitted buckets.
import type { V1AggregatorState, V2AggregatorState } from '../aggregate/index.js';

export interface OutputState {
  /** The newest bucket id already aggregated and emitted; null before the first. */
  watermark: number | null;
  /** The event clock, Unix µs (event-clock.ts). */
  clockUs: number;
  /** The pending buckets, raw samples included (v1: the requests themselves; v2: the sinks). */
  aggregator: V1AggregatorState | V2AggregatorState;
}

/** The watermark after a flush took the buckets that were in `before` and are gone now. */
export function raisedWatermark(watermark: number | null, before: readonly string[], after: Readonly<Record<string, unknown>>): number | null {
  let raised = watermark;
  for (const id of before) {
    if (!(id in after) && (raised === null || Number(id) > raised)) raised = Number(id);
  }
  return raised;
}
