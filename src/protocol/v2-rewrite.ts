// Byte-level rewrite of MetricSet.test_run_id (field 1) without re-encoding the message.
//
// Used to map a provisional run id to the cloud's id on a queued v2 body (§9.4.4). The output is
// the new field 1 (omitted when the id is empty, as proto3 does) followed by every other
// top-level field's bytes, unchanged and in their original order. Every field 1 of the input is
// dropped: protobuf keeps the last occurrence of a singular field, so leaving any would be wrong.
//
//   in:  [0a len "1234"] [10 03] [1a len Metric…] …
//   out: [0a len "<id>"] [10 03] [1a len Metric…] …

import { RelaydError } from '../errors.js';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;
const MAX_VARINT_BYTES = 10;

export function rewriteTestRunId(pb: Uint8Array, id: string): Uint8Array {
  const kept: Uint8Array[] = [];
  let keptFrom = 0;
  let pos = 0;
  while (pos < pb.length) {
    const fieldStart = pos;
    const [tag, afterTag] = readVarint(pb, pos);
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 0) throw bad(`field number 0 at byte ${fieldStart}`);
    pos = skipValue(pb, afterTag, wireType);
    if (field === 1) {
      if (wireType !== WIRE_LENGTH_DELIMITED) throw bad(`test_run_id has wire type ${wireType}, expected 2`);
      kept.push(pb.subarray(keptFrom, fieldStart));
      keptFrom = pos;
    }
  }
  kept.push(pb.subarray(keptFrom));
  const idBytes = Buffer.from(id, 'utf8');
  const head = idBytes.length === 0 ? [] : [Uint8Array.of(0x0a), encodeVarint(idBytes.length), idBytes];
  return Buffer.concat([...head, ...kept]);
}

/** Returns [value, next position]. Values above 2^53 lose precision, which only lengths care about. */
function readVarint(pb: Uint8Array, start: number): [number, number] {
  let value = 0;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const byte = pb[start + i];
    if (byte === undefined) throw bad(`truncated varint at byte ${start}`);
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return [value, start + i + 1];
  }
  throw bad(`varint longer than ${MAX_VARINT_BYTES} bytes at byte ${start}`);
}

function skipValue(pb: Uint8Array, pos: number, wireType: number): number {
  let end: number;
  switch (wireType) {
    case WIRE_VARINT:
      return readVarint(pb, pos)[1];
    case WIRE_FIXED64:
      end = pos + 8;
      break;
    case WIRE_LENGTH_DELIMITED: {
      const [length, start] = readVarint(pb, pos);
      end = start + length;
      break;
    }
    case WIRE_FIXED32:
      end = pos + 4;
      break;
    default:
      throw bad(`unsupported wire type ${wireType} at byte ${pos}`);
  }
  if (end > pb.length) throw bad(`field at byte ${pos} runs past the end of the message`);
  return end;
}

function encodeVarint(value: number): Uint8Array {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return Uint8Array.from(bytes);
}

function bad(detail: string): RelaydError {
  return new RelaydError('RELAYD_BAD_PROTOBUF', detail);
}
