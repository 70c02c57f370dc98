// batch (client → relayd): raw samples with a sequence number, numbered 1, 2, 3… per run.
//
//   {"type":"batch","seq":7,"samples":[{"metric":"vus","type":"gauge","time":1700000001000,"value":10}]}
//
// relayd answers ack {seq} once the batch is durable; a batch whose seq is not above the highest
// acknowledged one was taken before (a re-send after a reconnect) and is acknowledged again,
// not stored twice.

import { RelaydError } from '../../errors.js';
import { describe } from '../json.js';
import { badMessage } from './bad-message.js';
import { sampleProblem, type StreamSample } from './stream-sample.js';

export const BATCH = 'batch';

export interface BatchMessage {
  type: typeof BATCH;
  seq: number;
  samples: StreamSample[];
}

export function decodeBatchMessage(message: Record<string, unknown>, maxTags: number): BatchMessage {
  const { seq, samples } = message;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    throw badMessage(BATCH, `seq: expected an integer ≥ 1, got ${describe(seq)}`);
  }
  if (!Array.isArray(samples) || samples.length === 0) {
    throw badMessage(BATCH, `samples: expected a non-empty array, got ${describe(samples)}`);
  }
  for (let i = 0; i < samples.length; i++) {
    const problem = sampleProblem(samples[i]);
    if (problem !== undefined) throw badMessage(BATCH, `samples[${i}]${problem}`);
    const tags = Object.keys((samples[i] as StreamSample).tags).length;
    if (tags > maxTags) throw new RelaydError('RELAYD_TOO_MANY_TAGS', `batch: samples[${i}] has ${tags} tags, limit ${maxTags}`);
  }
  return { type: BATCH, seq, samples: samples as StreamSample[] };
}
