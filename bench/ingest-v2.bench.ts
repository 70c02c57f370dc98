// `npm run bench -- ingest-v2` or `tsx bench/ingest-v2.bench.ts`: scenario 1 for API v2 (see ingest.ts).
import { ingestScenario } from './ingest.js';
import { runIfEntryPoint } from './scenario.js';

export const scenario = ingestScenario('v2');

runIfEntryPoint(import.meta.url, scenario);
