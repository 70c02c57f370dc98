export { RunRegistry } from './run-registry.js';
export type { NewRun, Run, RunRegistryOptions } from './run-registry.js';
export type { ProcessingPlan, RunRecord } from './run-record.js';
export type { RunLedger, Tally } from './run-ledger.js';
export { finalStateOf, hasEnded } from './run-state.js';
export { isProvisionalId, whyNotAdoptable } from './run-ids.js';
export type { FinalState, RunState } from './run-state.js';
