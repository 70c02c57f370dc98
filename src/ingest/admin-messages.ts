// The admin API's messages: one schema each, the type derived from it. The daemon builds them
// (admin-api.ts); `relayd status` and `relayd runs` check what they receive against the same schemas,
// so a CLI and a daemon of different versions fail with a clear message instead of printing nonsense.
// Times are ISO 8601 strings (UTC); counts are integers. Not exported by ingest/index.ts, which the
// daemon loads: only the types are the daemon's.
import { z } from 'zod';

const count = z.number().int().nonnegative();
const time = z.iso.datetime();

const tally = z.object({ requests: count, samples: count, bytes: count });

export const runViewSchema = z.object({
  /** The id the runner uses (the cloud's, or relayd's provisional one). */
  id: z.string(),
  /** The cloud's id; null while a provisional run waits for its create to be answered. */
  upstreamId: z.string().nullable(),
  name: z.string(),
  state: z.string(),
  provisional: z.boolean(),
  /** Created elsewhere (K6_CLOUD_PUSH_REF_ID, the k6-operator, a lost store): relayd forwards, never finishes it. */
  adopted: z.boolean().default(false),
  createdAt: time,
  endedAt: time.nullable(),
  firstDataAt: time.nullable(),
  lastDataAt: time.nullable(),
  /** Metric pushes that reached the run, stored or not; in samples and body bytes as received. */
  received: tally,
  /** Pushes synced to disk and acknowledged to the runner. */
  persisted: tally,
  /** Pushes delivered upstream (for a run relayd aggregates: the aggregated requests). */
  delivered: tally,
  /** Pushes the cloud refused for good, kept in the dead-letter store. */
  deadLettered: tally,
  /** Requests still queued for the upstream (pushes, the finish, a provisional create) and their size on disk. */
  pending: z.object({ requests: count, bytes: count }),
  /** The last upstream failure of the run, while it lasts. */
  lastError: z.string().nullable(),
});
export type RunView = z.infer<typeof runViewSchema>;

export const runListSchema = z.object({ runs: z.array(runViewSchema) });
export type RunList = z.infer<typeof runListSchema>;

export const statusSchema = z.object({
  version: z.string(),
  startedAt: time,
  uptimeSeconds: z.number().nonnegative(),
  listen: z.string(),
  dataDir: z.string(),
  /** Whether relayd takes data now (as /readyz), and what stops it if not. */
  ready: z.boolean(),
  conditions: z.array(z.object({ condition: z.string(), reason: z.string(), since: time })),
  notices: z.array(z.string()),
  upstream: z.object({
    url: z.string(),
    /** It answered (any status below 500) at the last attempt or probe. */
    reachable: z.boolean(),
    checkedAt: time,
    detail: z.string(),
  }),
  backlog: z.object({
    requests: count,
    bytes: count,
    runs: count,
    /** Age of the oldest queued request: how far forwarding lags; null when nothing is queued. */
    oldestAgeSeconds: z.number().nonnegative().nullable(),
  }),
  /** The store's size against its quota (--max-disk); null without a quota. */
  disk: z.object({ usedBytes: count, maxBytes: count, full: z.boolean() }).nullable(),
  deadLetters: count,
  runsByState: z.record(z.string(), count),
  /** What relayd takes from its host: resident memory, and the store's bytes on disk (null without a disk quota, which measures them). */
  footprint: z.object({ rssBytes: count, storeBytes: count.nullable() }),
  /** Of those, runs created elsewhere (adopted), by state. */
  adoptedRunsByState: z.record(z.string(), count).default({}),
});
export type StatusView = z.infer<typeof statusSchema>;
