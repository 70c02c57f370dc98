// What the queue holds: one runner request (create, push, events or finish) as it must go upstream, with the
// original body bytes and the headers that matter. Encoded as
//   u32 BE length of the JSON meta | JSON meta | body bytes
// so the body is stored once, byte for byte, and never re-encoded. A body too large for that (a
// multipart create's test archive, a push of a MiB or more) lives in a file instead, named by
// `bodyFile` (body-files.ts); the stored value then has no body bytes, even when the item holds them
// in memory (read back by DurableQueue.readInMemory).
// A push body read with room in front of it (META_ROOM) is not copied either: its meta is written
// into that room and the stored value is a view of the same memory.
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
  /** Empty when the body is in `bodyFile`, unless read back from it. */
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
  /** Bytes on disk (its store value and its body file), for the backlog counters. */
  readonly size: number;
  /** Absent: the inbox. */
  readonly box?: ItemBox;
}

type ItemMeta = Omit<QueueItem, 'body'>;

/**
 * Room ingest leaves in front of a v2 push body (ingest/body.ts) for the item's length and meta: its
 * forwarded headers, a few hundred bytes. A meta that does not fit is copied as any other.
 */
export const META_ROOM = 4096;
/** Memory that holds a body at META_ROOM with nothing in front of it, until its item is encoded. */
const metaRooms = new WeakSet<ArrayBufferLike>();

/**
 * The body that `memory` holds at META_ROOM (`size` bytes, up to its end), with the bytes in front of
 * it given to encodeItem: the caller must neither use them nor take a view that starts before the body.
 */
export function bodyAfterMetaRoom(memory: ArrayBuffer, size: number): Buffer {
  metaRooms.add(memory);
  return Buffer.from(memory, META_ROOM, size);
}

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

/** The bytes of the item's body, wherever they are kept. */
export function bodyBytes(item: { readonly body: Uint8Array; readonly bodyFile?: BodyFileRef }): number {
  return item.bodyFile?.bytes ?? item.body.byteLength;
}

/** What an item occupies on disk: its encoded store value (`valueBytes`) and its body file. */
export function diskBytes(valueBytes: number, item: { readonly bodyFile?: BodyFileRef }): number {
  return valueBytes + (item.bodyFile?.bytes ?? 0);
}

const NO_BODY = new Uint8Array(0);

export function encodeItem(item: QueueItem): Buffer {
  const { body: held, ...meta } = item;
  const body = item.bodyFile === undefined ? held : NO_BODY;
  const metaBytes = Buffer.from(JSON.stringify(meta satisfies ItemMeta));
  const start = body.byteOffset - 4 - metaBytes.length;
  // The room is used once: a second item encoded around the same body would overwrite the first's meta.
  if (start >= 0 && body.byteOffset === META_ROOM && body.byteOffset + body.byteLength === body.buffer.byteLength && metaRooms.delete(body.buffer)) {
    const out = Buffer.from(body.buffer, start, 4 + metaBytes.length + body.byteLength);
    out.writeUInt32BE(metaBytes.length, 0);
    metaBytes.copy(out, 4);
    return out;
  }
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
