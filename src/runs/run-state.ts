// The states of a test run and how k6's run_status (§7 of the protocol) maps onto them.
//
//   running ──finish received──▶ finishing ──finish delivered upstream──▶ <outcome>
//      │                                                                  finished | aborted_by_user |
//      └──no data nor finish for the run timeout──▶ finishing ──▶ ...     aborted_by_threshold |
//                                                                         aborted_by_other | timed_out
//   any state ──the cloud refused the create for good──▶ rejected
//
// An adopted run (created elsewhere, run-ids.ts) is never finished by relayd: its creator does that.
// After the run timeout it is only closed locally, and its next push or finish opens it again:
//
//   running ──no data nor finish for the run timeout──▶ closed ──push or finish──▶ running | finishing

export type FinalState = 'finished' | 'aborted_by_user' | 'aborted_by_threshold' | 'aborted_by_other' | 'timed_out';
export type RunState = 'running' | 'finishing' | 'closed' | FinalState | 'rejected';

const RUN_STATUS_STATES: Readonly<Record<number, FinalState>> = {
  3: 'finished',
  4: 'timed_out',
  5: 'aborted_by_user',
  8: 'aborted_by_threshold',
};

export function finalStateOf(runStatus: number): FinalState {
  return RUN_STATUS_STATES[runStatus] ?? 'aborted_by_other';
}

/** A run in one of these states takes no more data (a closed one only through RunRegistry.reopen). */
export function hasEnded(state: RunState): boolean {
  return state !== 'running';
}
