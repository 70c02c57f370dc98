// The tag-count limit (--max-tags): a sample may carry at most so many tags (v1: `data.tags`; v2: a
// time series' labels). k6 sends a dozen system tags plus the script's own; a body with thousands
// per sample is a mistake or an attack, and each tag costs memory again wherever the cloud indexes
// it. Checked after decoding, once per sample; pure.
import { RelaydError } from '../errors.js';
import type { V1Envelope, V2Scan } from '../protocol/index.js';

function tooMany(where: string, count: number, max: number): RelaydError {
  return new RelaydError('RELAYD_TOO_MANY_TAGS', `${where} has ${count} tags, limit ${max}`);
}

/** The tags of the push's envelope at `index`. */
export function checkV1Tags(envelope: V1Envelope, index: number, max: number): void {
  const tags = envelope.data.tags;
  if (tags === undefined) return;
  let count = 0;
  for (const _ in tags) count++;
  if (count > max) throw tooMany(`[${index}].data.tags`, count, max);
}

/** v2: the scan of a push reports its time series with the most labels. */
export function checkV2Labels(mostLabels: V2Scan['mostLabels'], max: number): void {
  if (mostLabels.count > max) throw tooMany(mostLabels.at, mostLabels.count, max);
}
