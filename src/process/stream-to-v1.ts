// Raw samples → API v1 envelopes, for a stream whose run goes upstream in v1 (§4.2).
//
// k6 writes one HTTP request as nine samples (http_reqs, the seven http_req_* durations and
// http_req_failed) with the same time and tags; v1 packs them into one `Points` http_req_li_all,
// which is what the v1 aggregation takes. Samples are grouped within one batch, so a request's
// samples must travel in the same batch (k6 writes them one after the other; RelaydClient and
// `relayd replay` never end a batch between samples of the same time). Two requests that end in
// the same µs with the same tags are two groups: a metric a group already has starts the next one.
// A group without http_req_duration is no request: its samples go out one by one, as `Point`s, as
// does every other sample.
import { tagSetKey, TRAIL_DURATIONS, type V1Envelope, type V1PointEnvelope, type V2Sample } from '../aggregate/index.js';

/** The samples k6 writes for one HTTP request (§4.2), all packed into one v1 `Points`. */
const REQUEST_METRICS: ReadonlySet<string> = new Set(['http_reqs', ...TRAIL_DURATIONS.map(([metric]) => metric), 'http_req_failed']);

interface RequestGroup {
  readonly first: V2Sample;
  readonly samples: V2Sample[];
  readonly values: Record<string, number>;
}

export function v1EnvelopesFromSamples(samples: readonly V2Sample[]): V1Envelope[] {
  const out: V1Envelope[] = [];
  const groups = new Map<string, RequestGroup[]>();
  for (const sample of samples) {
    if (!REQUEST_METRICS.has(sample.metric)) {
      out.push(pointOf(sample));
      continue;
    }
    const key = tagSetKey(sample.tags, [String(sample.time)]);
    let open = groups.get(key);
    if (open === undefined) groups.set(key, (open = []));
    let group = open.find((candidate) => !(sample.metric in candidate.values));
    if (group === undefined) open.push((group = { first: sample, samples: [], values: {} }));
    group.samples.push(sample);
    group.values[sample.metric] = sample.value;
  }
  for (const open of groups.values()) {
    for (const group of open) {
      if ('http_req_duration' in group.values) out.push(requestOf(group));
      else for (const sample of group.samples) out.push(pointOf(sample));
    }
  }
  return out;
}

function requestOf({ first, values }: RequestGroup): V1Envelope {
  const data = { time: String(first.time), type: 'counter', tags: first.tags, values: { ...values, http_reqs: 1 } };
  return { type: 'Points', metric: 'http_req_li_all', data };
}

function pointOf(sample: V2Sample): V1PointEnvelope {
  return { type: 'Point', metric: sample.metric, data: { time: String(sample.time), type: sample.type, tags: sample.tags, value: sample.value } };
}
