// The tag-count limit (--max-tags): a sample may carry at most so many tags (v1: `data.tags`; v2: a
// time series' labels). k6 sends a dozen system tags plus the script's own; a body with thousands
// per sample is a mistake or an attack, and each tag costs memory again wherever the cloud indexes
// it. Checked after decoding, once per sample; pure.
import { RelaydError } from '../errors.js';
import type { V1Envelope } from '../protocol/index.js';

interface LabelledSeries {
  readonly labels: readonly unknown[];
}

interface MetricSetLike {
  readonly metrics: readonly { readonly name?: string | null; readonly timeSeries: readonly LabelledSeries[] }[];
}

function tooMany(where: string, count: number, max: number): RelaydError {
  return new RelaydError('RELAYD_TOO_MANY_TAGS', `${where} has ${count} tags, limit ${max}`);
}

export function checkV1Tags(envelopes: readonly V1Envelope[], max: number): void {
  for (let i = 0; i < envelopes.length; i++) {
    const tags = envelopes[i]!.data.tags;
    if (tags === undefined) continue;
    let count = 0;
    for (const _ in tags) count++;
    if (count > max) throw tooMany(`[${i}].data.tags`, count, max);
  }
}

export function checkV2Labels(metricSet: MetricSetLike, max: number): void {
  const { metrics } = metricSet;
  for (let m = 0; m < metrics.length; m++) {
    const series = metrics[m]!.timeSeries;
    for (let s = 0; s < series.length; s++) {
      const count = series[s]!.labels.length;
      if (count > max) throw tooMany(`metrics[${m}].time_series[${s}]`, count, max);
    }
  }
}
