// A results file as Markdown tables, for bench/README.md's "latest figures":
//
//   tsx bench/markdown.ts [bench/results/latest.json] > figures.md
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatNumber, type Report } from './report.js';
import { isEntryPoint, RESULTS_DIR } from './scenario.js';

function row(cells: readonly string[]): string {
  return `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
}

export function renderMarkdown(report: Report): string {
  const lines = [
    `Measured ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC in ${Math.round(report.seconds / 60)} min on ${report.machine.cores} × ${report.machine.cpuModel}, ` +
      `${report.machine.memoryGiB} GiB, Node ${report.machine.node}; tree \`${report.tree.commit}\` + ${report.tree.uncommittedFiles} uncommitted files; ` +
      `load average ${report.loadAverage.start.toFixed(2)} at the start, ${report.loadAverage.end.toFixed(2)} at the end; settings ${JSON.stringify(report.settings)}.`,
  ];
  for (const scenario of report.scenarios) {
    lines.push('', `### ${scenario.scenario}: ${scenario.title}`, '', row(['figure', 'median', 'baseline (same run)', 'ratio']), row(['---', '---:', '---', '---:']));
    for (const fig of scenario.figures) {
      const baseline = fig.baseline ? `${fig.baseline.name}: ${formatNumber(fig.baseline.value)} ${fig.unit}` : '';
      lines.push(row([fig.name, `${formatNumber(fig.value)} ${fig.unit}`, baseline, fig.ratio === undefined ? '' : `${fig.ratio.toFixed(2)}×`]));
    }
    if (scenario.targets.length > 0) {
      lines.push('');
      for (const target of scenario.targets) lines.push(`- **${target.pass ? 'PASS' : 'MISS'}** ${target.target}: ${target.measured}`);
    }
  }
  return lines.join('\n');
}

if (isEntryPoint(import.meta.url)) {
  const input = process.argv[2] ?? join(RESULTS_DIR, 'latest.json');
  process.stdout.write(`${renderMarkdown(JSON.parse(readFileSync(input, 'utf8')) as Report)}\n`);
}
