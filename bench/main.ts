// `npm run bench [-- scenario…]`: runs every scenario (or the named ones) in order, prints the
// figures and targets, writes bench/results/latest.json and, after a full run, bench/results/chart.svg.
// Not part of `npm test`: the figures depend on the machine, and the full run takes ~10 minutes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario as aggregation } from './aggregation.bench.js';
import { renderChart } from './chart.js';
import { scenario as drain } from './drain.bench.js';
import { scenario as endToEnd } from './end-to-end.bench.js';
import { scenario as footprint } from './footprint.bench.js';
import { scenario as ingestV1 } from './ingest-v1.bench.js';
import { scenario as ingestV2 } from './ingest-v2.bench.js';
import { scenario as keepsUp } from './keeps-up.bench.js';
import { scenario as memory } from './memory.bench.js';
import { scenario as memoryLimit } from './memory-limit.bench.js';
import { RESULTS_DIR, runScenarios, type Scenario } from './scenario.js';

const ALL: readonly Scenario[] = [ingestV2, ingestV1, endToEnd, drain, keepsUp, aggregation, memory, memoryLimit, footprint];

const names = process.argv.slice(2);
const unknown = names.filter((name) => !ALL.some((scenario) => scenario.name === name));
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario ${unknown.join(', ')}; known: ${ALL.map((scenario) => scenario.name).join(', ')}\n`);
  process.exitCode = 2;
} else {
  const chosen = names.length === 0 ? ALL : ALL.filter((scenario) => names.includes(scenario.name));
  const report = await runScenarios(chosen, 'latest.json');
  if (chosen.length === ALL.length) {
    writeFileSync(join(RESULTS_DIR, 'chart.svg'), renderChart(report));
    process.stdout.write('written: bench/results/chart.svg\n');
  }
}
