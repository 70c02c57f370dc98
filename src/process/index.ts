export { processingPlanFor, type RunSource } from './plan.js';
export { Processor, type ProcessorOptions } from './processor.js';
