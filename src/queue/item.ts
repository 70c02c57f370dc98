// What the queue holds: one runner request (create, push, events or finish) as it must go upstream, with the
// original body bytes and the headers that matter. Encoded as
//   u32 BE length of the JSON meta | JSON meta | body bytes
// so the body is stored once, byte for byte, and never re-encoded. A body too large for that (a
// multipart create's test archive) lives in a file instead, named by `bodyFile` (body-files.ts).
import type { BodyFileRef } from './body-files.js';

/** `events`: a k6-operator's POST /orchestrator/v1/testruns/:ref/events (a JSON array). */
export type ItemKind = 'create' | 'push' | 'events' | 'finish';
/**
 * `v1`/`v2`: a k6 metric push (§4, §6). `stream`: one batch of raw samples from the WebSocket stream
 * (the message as received); only the processing stage reads it, it never goes upstream as such.
 */
export type PushProtocol = 'v1' | 'v2' | 'stream';
/** Where a stored item lives: a run's inbox (as received) or a processed run's outbox. */
export type ItemBox = 'inbox' | 'outbox';

export interface QueueItem {
  readonly kind: ItemKind;
  /** Wire protocol of a push; absent for the other kinds. */
  readonly protocol?: PushProtocol;
  /** Headers to forward upstream, lower-case names (see forward/forwarded-headers.ts). */
  readonly headers: Readonly<Record<string, string>>;
  /** Empty when the body is in `bodyFile`. */
  readonly body: Uint8Array;
  /** The body's file under <data dir>/bodies, for a body kept out of the store (body-files.ts). */
  readonly bodyFile?: BodyFileRef;
  /** Wall-clock ms when relayd accepted it. */
  readonly receivedAt: number;
  /** Sample entries in the body (v1 array entries, v2 series values); 0 for the other kinds. */
  readonly samples: number;
  /** Made by relayd itself (the finish of a timed-out run), not received from a runner. */
  readonly synthetic?: boolean;
}

export interface StoredItem extends QueueItem {
  readonly runId: string;
  readonly seq: number;
  /** Encoded size on disk, for the backlog counters. */
  readonly size: number;
  /** Absent: the inbox. */
  readonly box?: ItemBox;
}

type ItemMeta = Omit<QueueItem, 'body'>;

/** Create, events and finish: tiny requests that steer a run, never refused for lack of disk. */
export function isControlItem(item: { readonly kind: ItemKind }): boolean {
  return item.kind !== 'push';
}

/** Where an item goes upstream, below the base URL; null for a stream batch (never sent as such). */
export function upstreamPath(item: { readonly kind: ItemKind; readonly protocol?: PushProtocol }, runId: string): string | null {
  switch (item.kind) {
    case 'create':
      return '/v1/tests';
    case 'finish':
      return `/v1/tests/${runId}`;
    case 'events':
      return `/orchestrator/v1/testruns/${runId}/events`;
    case 'push':
      return item.protocol === 'stream' ? null : `/${item.protocol ?? 'v1'}/metrics/${runId}`;
  }
}

export function encodeItem(item: QueueItem): Buffer {
  const { body, ...meta } = item;
  const metaBytes = Buffer.from(JSON.stringify(meta satisfies ItemMeta));
  const out = Buffer.allocUnsafe(4 + metaBytes.length + body.byteLength);
  out.writeUInt32BE(metaBytes.length, 0);
  metaBytes.copy(out, 4);
  out.set(body, 4 + metaBytes.length);
  return out;
}

export function decodeItem(bytes: Uint8Array): QueueItem {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const metaLength = buf.readUInt32BE(0);
  const meta = JSON.parse(buf.subarray(4, 4 + metaLength).toString('utf8')) as ItemMeta;
  return { ...meta, body: buf.subarray(4 + metaLength) };
}
