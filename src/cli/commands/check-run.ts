// The work of `relayd check`: a census of every entry of the store (queue/census.ts), read-only.
import { storeFileBytes, StoreReader, type StoreCensus } from '../../queue/index.js';
import { EXIT, onStore } from '../offline-store.js';

export interface CheckReport {
  readonly dataDir: string;
  readonly fileBytes: number;
  readonly runs: { readonly total: number; readonly byState: Record<string, number> };
  readonly pending: { readonly items: number; readonly bytes: number; readonly runs: number };
  readonly deadLetters: { readonly items: number; readonly bytes: number };
  readonly quarantined: { readonly items: number; readonly bytes: number };
  readonly unreadable: { readonly key: string; readonly reason: string }[];
  readonly orphanItems: number;
  readonly unknownKeys: Record<string, number>;
  readonly seq: { readonly stored: number | null; readonly highest: number };
  readonly problems: string[];
}

function problemsOf(census: StoreCensus): string[] {
  const problems: string[] = [];
  if (census.unreadable.length > 0) problems.push(`${census.unreadable.length} entries cannot be read (relayd start quarantines them)`);
  if (census.quarantined.items > 0) problems.push(`${census.quarantined.items} entries were quarantined earlier as unreadable (kept under q!)`);
  if (census.orphanItems > 0) problems.push(`${census.orphanItems} pending items belong to no run record: nothing will forward them`);
  if (census.unknownKeys.size > 0) problems.push(`keys under unknown prefixes: ${[...census.unknownKeys.keys()].join(', ')}`);
  if ((census.storedSeq ?? 0) < census.highestSeq) problems.push(`the seq counter (${census.storedSeq}) is behind the highest seq (${census.highestSeq})`);
  return problems;
}

function reportOf(dataDir: string, fileBytes: number, census: StoreCensus): CheckReport {
  let items = 0;
  let bytes = 0;
  for (const backlog of census.backlog.values()) {
    items += backlog.items;
    bytes += backlog.bytes;
  }
  return {
    dataDir,
    fileBytes,
    runs: { total: census.runs, byState: Object.fromEntries(census.runStates) },
    pending: { items, bytes, runs: census.backlog.size },
    deadLetters: census.deadLetters,
    quarantined: census.quarantined,
    unreadable: census.unreadable,
    orphanItems: census.orphanItems,
    unknownKeys: Object.fromEntries(census.unknownKeys),
    seq: { stored: census.storedSeq, highest: census.highestSeq },
    problems: problemsOf(census),
  };
}

function text(report: CheckReport): string {
  const states = Object.entries(report.runs.byState).map(([state, count]) => `${state} ${count}`).join(', ');
  const lines = [
    `store ${report.dataDir}: ${report.problems.length === 0 ? 'OK' : `${report.problems.length} problem(s)`}`,
    `  files on disk   ${report.fileBytes} bytes`,
    `  runs            ${report.runs.total}${states ? ` (${states})` : ''}`,
    `  pending items   ${report.pending.items} (${report.pending.bytes} bytes) in ${report.pending.runs} runs`,
    `  dead letters    ${report.deadLetters.items} (${report.deadLetters.bytes} bytes)`,
    `  quarantined     ${report.quarantined.items} (${report.quarantined.bytes} bytes)`,
    `  unreadable      ${report.unreadable.length}`,
    ...report.unreadable.slice(0, 50).map(({ key, reason }) => `    ${key}: ${reason}`),
    ...report.problems.map((problem) => `  problem: ${problem}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function runCheck(dataDir: string, json: boolean): Promise<number> {
  return onStore(async () => {
    const reader = await StoreReader.open(dataDir);
    try {
      const report = reportOf(dataDir, await storeFileBytes(dataDir), await reader.census());
      process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : text(report));
      return report.problems.length === 0 ? EXIT.ok : EXIT.problems;
    } finally {
      await reader.close();
    }
  });
}
