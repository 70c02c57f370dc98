// The digest of a stored push as it sits in the queue: after a restart (items acknowledged but not
// yet in the persisted results), and for pushes that arrive without one. Decodes the body again;
// it was validated when it was accepted.
import { decodeV1PushSync } from '../protocol/v1.js';
import { snappyUncompressBounded } from '../protocol/snappy.js';
import type { QueueItem } from '../queue/index.js';
import { digestSamples, digestV1, type PushDigest } from './digest.js';
import { digestMetricSet } from './v2-digest.js';

/** Accepted bodies were within the configured limits; this only bounds a corrupted item. */
const MAX_DECODED_BYTES = 1 << 30;

export function digestItem(item: QueueItem): PushDigest {
  const encoding = item.headers['content-encoding'];
  switch (item.protocol) {
    case 'v1':
      return digestV1(decodeV1PushSync(item.body, encoding, { maxDecompressedBytes: MAX_DECODED_BYTES }).envelopes);
    case 'v2':
      return digestMetricSet(snappyUncompressBounded(item.body, MAX_DECODED_BYTES));
    case 'stream':
      return digestSamples((JSON.parse(Buffer.from(item.body).toString('utf8')) as { samples: Parameters<typeof digestSamples>[0] }).samples);
    default:
      return { seconds: {} };
  }
}
