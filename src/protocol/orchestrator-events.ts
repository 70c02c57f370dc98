// The k6-operator's events call (flows doc §4.5): POST /orchestrator/v1/testruns/<ref>/events with a
// JSON array such as
//   [{"event_type":"TestRunErrorEvent","event":{"origin":"…","error_code":…,"reason":"…",…}}]
// Invariant: an array of objects, each with a non-empty string `event_type`. The rest of an event is
// the cloud's business; relayd forwards the original bytes.

import { RelaydError } from '../errors.js';
import { describe, isJsonObject, parseJson } from './json.js';

export interface OrchestratorEvent {
  event_type: string;
  event?: unknown;
}

export function decodeEventsBody(body: Uint8Array): OrchestratorEvent[] {
  const parsed = parseJson(body);
  if (!Array.isArray(parsed)) throw badEvents(`expected a JSON array of events, got ${describe(parsed)}`);
  parsed.forEach((event: unknown, i) => {
    if (!isJsonObject(event)) throw badEvents(`[${i}]: expected an object, got ${describe(event)}`);
    if (typeof event.event_type !== 'string' || event.event_type === '') {
      throw badEvents(`[${i}].event_type: expected a non-empty string, got ${describe(event.event_type)}`);
    }
  });
  return parsed as OrchestratorEvent[];
}

function badEvents(detail: string): RelaydError {
  return new RelaydError('RELAYD_BAD_EVENTS', detail);
}
