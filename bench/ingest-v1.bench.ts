// `npm run bench -- ingest-v1` or `tsx bench/ingest-v1.bench.ts`: scenario 1 for API v1 (see ingest.ts).
import { ingestScenario } from './ingest.js';
import { runIfEntryPoint } from './scenario.js';

export const scenario = ingestScenario('v1');

runIfEntryPoint(import.meta.url, scenario);
