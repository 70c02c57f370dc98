// The work of `relayd replay-dead-letters`. Offline, on the data dir, by design: it needs no admin
// endpoint on the daemon (which, in a sidecar, listens beyond loopback), it works while the daemon
// cannot start (a full disk, a store to repair first), and LevelDB's lock makes sure no daemon is
// forwarding the same run meanwhile. The store is opened the way the daemon opens it (repaired if
// it must be); each letter moves back in one synced batch (DurableQueue.requeueDeadLetters), and a
// run that was rejected for good goes back to running or finishing so its create is tried again.
import { createLogger } from '../../observe/index.js';
import { DurableQueue, StoreReader } from '../../queue/index.js';
import { RunRegistry } from '../../runs/index.js';
import { EXIT, onStore } from '../offline-store.js';

async function countLetters(dataDir: string, runId: string | undefined): Promise<Map<string, number>> {
  const reader = await StoreReader.open(dataDir);
  try {
    const counts = new Map<string, number>();
    for await (const letter of reader.deadLetters(runId)) counts.set(letter.runId, (counts.get(letter.runId) ?? 0) + 1);
    return counts;
  } finally {
    await reader.close();
  }
}

function summary(counts: Map<string, number>): string {
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  const perRun = [...counts].map(([runId, count]) => `${runId}: ${count}`).join(', ');
  return `${total} dead letter(s) of ${counts.size} run(s)${perRun ? ` (${perRun})` : ''}`;
}

export function runReplayDeadLetters(dataDir: string, options: { runId: string | undefined; dryRun: boolean }): Promise<number> {
  return onStore(async () => {
    if (options.dryRun) {
      process.stdout.write(`would re-queue ${summary(await countLetters(dataDir, options.runId))}\n`);
      return EXIT.ok;
    }
    const queue = await DurableQueue.open(dataDir, { logger: createLogger('warn', process.stderr) });
    try {
      const runs = await RunRegistry.load(queue, { runTimeoutMs: Number.MAX_SAFE_INTEGER, onBacklog: () => undefined });
      const requeued = await queue.requeueDeadLetters(options.runId);
      const orphans: string[] = [];
      for (const runId of requeued.keys()) {
        const run = runs.get(runId);
        if (run) await runs.revive(run);
        else orphans.push(runId);
      }
      process.stdout.write(`re-queued ${summary(requeued)}; the next relayd start on ${dataDir} sends them\n`);
      if (orphans.length > 0) process.stderr.write(`relayd: no run record for ${orphans.join(', ')}: relayd check reports their items as orphans\n`);
      return EXIT.ok;
    } finally {
      await queue.close();
    }
  });
}
