// Summarises a V8 CPU profile (from `BENCH_CPU_PROF=1 npm run bench -- <scenario>`, which starts the
// relayd children with node --cpu-prof): the functions and the source files with the most self
// time, so a missed target can be traced to the code that limits it.
//
//   tsx bench/profile-summary.ts bench/results/profiles/ingest-v2/<file>.cpuprofile [top=25]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { packageRoot } from '../src/config/index.js';
import { isEntryPoint } from './scenario.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface SelfTime {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

function where(url: string): string {
  if (url === '') return '(native)';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  return path.startsWith('/') ? relative(packageRoot(), path) : path;
}

/** Self time per function and per file, largest first; idle time (the event loop waiting) excluded. */
export function summariseProfile(profile: CpuProfile): { byFunction: SelfTime[]; byFile: SelfTime[]; busyMs: number; totalMs: number } {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id)!.callFrame;
    const micros = profile.timeDeltas[index] ?? 0;
    if (frame.functionName === '(idle)') return;
    busy += micros;
    const file = where(frame.url);
    const name = `${frame.functionName || '(anonymous)'} ${file}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    byFile.set(file, (byFile.get(file) ?? 0) + micros);
  });
  const rank = (map: Map<string, number>): SelfTime[] =>
    [...map.entries()].map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / busy })).sort((a, b) => b.ms - a.ms);
  return { byFunction: rank(byFunction), byFile: rank(byFile), busyMs: busy / 1000, totalMs: (profile.endTime - profile.startTime) / 1000 };
}

if (isEntryPoint(import.meta.url)) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  const top = Number(process.argv[3] ?? 25);
  const summary = summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const line = (entry: SelfTime): string => `${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.ms.toFixed(0).padStart(7)} ms  ${entry.name}`;
  process.stdout.write(
    [
      `main thread busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms profiled`,
      '',
      'self time by function:',
      ...summary.byFunction.slice(0, top).map(line),
      '',
      'self time by file:',
      ...summary.byFile.slice(0, top).map(line),
      '',
    ].join('\n'),
  );
}
