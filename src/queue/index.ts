export { DurableQueue } from './durable-queue.js';
export type { Backlog, DeadLetter } from './durable-queue.js';
export { GroupCommitter } from './group-commit.js';
export type { BatchOp } from './group-commit.js';
export { decodeItem, encodeItem } from './item.js';
export type { ItemKind, PushProtocol, QueueItem, StoredItem } from './item.js';
export { RUN_ID_PATTERN } from './keys.js';
