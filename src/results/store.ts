// How a run's results persist (keys in queue/keys.ts): the core (RunResultsCore: whole-run sinks,
// open buckets with their histograms, thresholds, the seq they include) as one JSON record, and every
// closed bucket and delivery point as a record of its own, written once. So a change rewrites the core
// (a few kB per charted metric) and the new points, never the run's whole history.
import type { BatchOp } from '../queue/index.js';
import { resultsKey, resultsPointKey } from '../queue/keys.js';
import { RunResultsState, type RunResultsCore } from './run-state.js';
import type { DeliveryPoint, ResultBucket } from './types.js';

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

/** The writes that bring the stored results of `state` up to date (and clear its change set). */
export function resultsOps(state: RunResultsState): BatchOp[] {
  const runId = state.core.runId;
  const changes = state.takeChanges();
  const ops: BatchOp[] = [{ type: 'put', key: resultsKey(runId), value: json(state.core) }];
  for (const point of changes.points) ops.push({ type: 'put', key: resultsPointKey(runId, 'b', point.t), value: json(point) });
  for (const t of changes.droppedPoints) ops.push({ type: 'del', key: resultsPointKey(runId, 'b', t) });
  for (const point of changes.delivery) ops.push({ type: 'put', key: resultsPointKey(runId, 'd', point.t), value: json(point) });
  for (const t of changes.droppedDelivery) ops.push({ type: 'del', key: resultsPointKey(runId, 'd', t) });
  return ops;
}

/** The deletes that remove every stored record of `state`. */
export function deleteOps(state: RunResultsState): BatchOp[] {
  const runId = state.core.runId;
  return [
    { type: 'del', key: resultsKey(runId) },
    ...state.points.map((point): BatchOp => ({ type: 'del', key: resultsPointKey(runId, 'b', point.t) })),
    ...state.delivery.map((point): BatchOp => ({ type: 'del', key: resultsPointKey(runId, 'd', point.t) })),
  ];
}

/** Rebuilds every run's results from the x! entries, in key order (a core sorts before its points). */
export async function loadResults(entries: AsyncIterable<[string, Uint8Array]>): Promise<Map<string, RunResultsState>> {
  const cores = new Map<string, RunResultsCore>();
  const points = new Map<string, { buckets: ResultBucket[]; delivery: DeliveryPoint[] }>();
  for await (const [key, value] of entries) {
    const [, runId = '', kind] = key.split('!');
    const parsed = JSON.parse(Buffer.from(value).toString('utf8')) as unknown;
    if (kind === undefined) cores.set(runId, parsed as RunResultsCore);
    else {
      const lists = points.get(runId) ?? { buckets: [], delivery: [] };
      points.set(runId, lists);
      if (kind === 'b') lists.buckets.push(parsed as ResultBucket);
      else lists.delivery.push(parsed as DeliveryPoint);
    }
  }
  const states = new Map<string, RunResultsState>();
  for (const [runId, core] of cores) {
    const lists = points.get(runId) ?? { buckets: [], delivery: [] };
    states.set(runId, new RunResultsState(core, lists.buckets, lists.delivery));
  }
  return states;
}
