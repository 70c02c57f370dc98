// `run_status` codes a finish call may carry (§7, k6 `cloudapi/run_status.go`). k6 sends 3 and
// 5..9; 4 (timed out) is set by the cloud, and is accepted because relayd may report it itself.

export const RunStatus = {
  Finished: 3,
  TimedOut: 4,
  AbortedUser: 5,
  AbortedSystem: 6,
  AbortedScriptError: 7,
  AbortedThreshold: 8,
  AbortedLimit: 9,
} as const;

export type RunStatusCode = (typeof RunStatus)[keyof typeof RunStatus];

const CODES: ReadonlySet<number> = new Set(Object.values(RunStatus));

export function isRunStatus(value: unknown): value is RunStatusCode {
  return typeof value === 'number' && CODES.has(value);
}
