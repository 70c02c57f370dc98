// Create-test-run (§3.1) and test-finished (§7) JSON bodies.
//
//   create: {"name":"script.js","vus":10,"thresholds":{"http_req_duration":["p(95)<500"]},"duration":60}
//   finish: {"result_status":0,"run_status":3,"thresholds":{"http_req_duration":{"p(95)<500":false}}}
//
// Invariants: create has a non-empty `name`; `vus` and `project_id` are non-negative integers,
// `duration` an integer ≥ −1 (−1 = unknown), `thresholds` an object of string arrays. Finish has
// `result_status` 0 or 1, a known `run_status` and `thresholds` as an object of objects of
// booleans (true = that threshold failed). The k6-operator's create adds `instances` (an integer
// ≥ 1) and `process_thresholds` (a boolean). Unknown keys are ignored and not returned; relayd
// forwards the original bytes, so nothing is lost.

import { RelaydError } from '../errors.js';
import { describe, isJsonObject, parseJson } from './json.js';
import { isRunStatus } from './run-status.js';

export interface CreateTestRun {
  name: string;
  vus?: number;
  thresholds?: Record<string, string[]>;
  duration?: number;
  project_id?: number;
  /** Sent by the k6-operator only (flows doc §4.2): its runner count, and that the cloud evaluates thresholds. */
  instances?: number;
  process_thresholds?: boolean;
}

export interface FinishTestRun {
  result_status: number;
  run_status: number;
  thresholds: Record<string, Record<string, boolean>>;
}

export function decodeCreateBody(body: Uint8Array): CreateTestRun {
  const parsed = parseJson(body);
  if (!isJsonObject(parsed)) throw badCreate(`expected a JSON object, got ${describe(parsed)}`);
  const { name, vus, thresholds, duration, project_id, instances, process_thresholds } = parsed;
  if (typeof name !== 'string' || name === '') throw badCreate(`name: expected a non-empty string, got ${describe(name)}`);
  const create: CreateTestRun = { name };
  if (vus !== undefined) create.vus = integerAtLeast(vus, 0, 'vus');
  if (duration !== undefined) create.duration = integerAtLeast(duration, -1, 'duration');
  if (project_id !== undefined) create.project_id = integerAtLeast(project_id, 0, 'project_id');
  if (thresholds !== undefined) create.thresholds = createThresholds(thresholds);
  if (instances !== undefined) create.instances = integerAtLeast(instances, 1, 'instances');
  if (process_thresholds !== undefined) {
    if (typeof process_thresholds !== 'boolean') throw badCreate(`process_thresholds: expected a boolean, got ${describe(process_thresholds)}`);
    create.process_thresholds = process_thresholds;
  }
  return create;
}

export function decodeFinishBody(body: Uint8Array): FinishTestRun {
  const parsed = parseJson(body);
  if (!isJsonObject(parsed)) throw badFinish(`expected a JSON object, got ${describe(parsed)}`);
  const { result_status, run_status, thresholds } = parsed;
  if (result_status !== 0 && result_status !== 1) {
    throw badFinish(`result_status: expected 0 or 1, got ${describe(result_status)}`);
  }
  if (!isRunStatus(run_status)) throw badFinish(`run_status: expected one of 3..9, got ${describe(run_status)}`);
  return { result_status, run_status, thresholds: finishThresholds(thresholds) };
}

function integerAtLeast(value: unknown, min: number, key: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw badCreate(`${key}: expected an integer ≥ ${min}, got ${describe(value)}`);
  }
  return value;
}

function createThresholds(thresholds: unknown): Record<string, string[]> {
  if (!isJsonObject(thresholds)) throw badCreate(`thresholds: expected an object, got ${describe(thresholds)}`);
  for (const metric in thresholds) {
    const sources = thresholds[metric];
    if (!Array.isArray(sources) || !sources.every((source) => typeof source === 'string')) {
      throw badCreate(`thresholds.${metric}: expected an array of strings, got ${describe(sources)}`);
    }
  }
  return thresholds as Record<string, string[]>;
}

function finishThresholds(thresholds: unknown): Record<string, Record<string, boolean>> {
  if (!isJsonObject(thresholds)) throw badFinish(`thresholds: expected an object, got ${describe(thresholds)}`);
  for (const metric in thresholds) {
    const results = thresholds[metric];
    if (!isJsonObject(results)) throw badFinish(`thresholds.${metric}: expected an object, got ${describe(results)}`);
    for (const source in results) {
      if (typeof results[source] !== 'boolean') {
        throw badFinish(`thresholds.${metric}.${source}: expected a boolean, got ${describe(results[source])}`);
      }
    }
  }
  return thresholds as Record<string, Record<string, boolean>>;
}

function badCreate(detail: string): RelaydError {
  return new RelaydError('RELAYD_BAD_CREATE', detail);
}

function badFinish(detail: string): RelaydError {
  return new RelaydError('RELAYD_BAD_FINISH', detail);
}
