export { RunRegistry } from './run-registry.js';
export type { NewRun, Run, RunRegistryOptions } from './run-registry.js';
export type { RunLedger, RunRecord } from './run-record.js';
export { finalStateOf, hasEnded } from './run-state.js';
export type { FinalState, RunState } from './run-state.js';
