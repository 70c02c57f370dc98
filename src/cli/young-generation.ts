// Keeps V8's young generation at its initial size (1 MiB a semi-space) while relayd starts.
// Loading modules and opening the store allocate mostly objects that live on, and V8 answers that
// survival by doubling the young generation up to 16 MiB a semi-space: ~16 MiB of RSS that an
// idle relayd never gives back. bin/relayd.js imports this before it loads the CLI (parsing the
// modules allocates too, before any of them runs);
// `relayd start` lets the young generation grow again once it is ready (`releaseYoungGeneration`),
// so that ingest under load scavenges as before. The flag is read at each growth decision, which
// is why setting it at run time works (measured: RSS at rest 101 -> 84 MiB).
// When ingest goes quiet, `relayd start` gives the heap back and holds the young generation at
// 4 MiB a semi-space until ingest is busy again (idle-heap.ts).
import { queryObjects, setFlagsFromString } from 'node:v8';

/** V8's own --semi-space-growth-factor. */
const V8_GROWTH_FACTOR = 2;

export function holdYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

export function releaseYoungGeneration(): void {
  setFlagsFromString(`--semi-space-growth-factor=${V8_GROWTH_FACTOR}`);
}

/** No object is ever one of these: the query below finds nothing, only its collection counts. */
class NeverInstantiated {}

/**
 * A memory-reducing collection: V8 collects all it can, compacts, and shrinks the young generation
 * back to its initial size, which no ordinary collection does. Node 20 offers it only through a heap
 * query (`queryObjects` collects all garbage first). It stops the event loop: 0.3-0.7 s measured on
 * a ~60 MiB heap after a 1 GiB v1 fill, on a busy 2-core machine.
 */
export function reduceHeap(): void {
  queryObjects(NeverInstantiated);
}

holdYoungGeneration();
