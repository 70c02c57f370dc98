// The pieces most scenarios assemble: the cloud emulator in this process (so its receipt times share
// the load generator's clock), relayd as a child process forwarding to it, a push client, and runs
// created through relayd the way k6 creates them.
import { join } from 'node:path';
import { CloudEmulator, type EmulatorOptions } from '../test/emulator/emulator.js';
import { loadFixture } from '../test/emulator/fixtures.js';
import type { MemoryCgroup } from '../test/helpers/memory-cgroup.js';
import { PushClient, preciseNow } from './load.js';
import { type RelaydChild, startRelaydChild } from './relayd-process.js';
import type { BenchSettings } from './scenario.js';

/** Runs must not time out in the emulator while its "cloud" is down for a backlog. */
const EMULATOR_RUN_TIMEOUT_MS = 3_600_000;

export async function startEmulator(options: Omit<EmulatorOptions, 'now' | 'runTimeoutMs'> = {}): Promise<CloudEmulator> {
  const emulator = new CloudEmulator({ ...options, runTimeoutMs: EMULATOR_RUN_TIMEOUT_MS, now: preciseNow });
  await emulator.listen();
  return emulator;
}

export interface RelaydUnderTest {
  readonly relayd: RelaydChild;
  readonly client: PushClient;
  /** Run ids, created through relayd (forwarded to the emulator, which must be up). */
  readonly runIds: readonly string[];
  /** Closes the client and stops relayd; a second call waits for the first. */
  stop(): Promise<void>;
}

/** k6's create body from the capture, for every run the benchmarks create. */
export const CREATE_BODY = (() => {
  const create = loadFixture('v2').find((capture) => capture.route.kind === 'create');
  if (!create) throw new Error('the v2 capture has no create');
  return create.body;
})();

export async function startRelaydUnderTest(
  settings: BenchSettings,
  scenario: string,
  options: {
    readonly upstream: string;
    readonly runs: number;
    readonly connections: number;
    readonly flags?: Record<string, string>;
    readonly cgroup?: Pick<MemoryCgroup, 'wrap'>;
  },
): Promise<RelaydUnderTest> {
  const relayd = await startRelaydChild(
    {
      upstream: options.upstream,
      ...(options.flags ? { flags: options.flags } : {}),
      ...(options.cgroup ? { cgroup: options.cgroup } : {}),
      ...(settings.cpuProfileDir ? { cpuProfileDir: join(settings.cpuProfileDir, scenario) } : {}),
    },
    settings.log,
  );
  const client = new PushClient(relayd.url, options.connections);
  const runIds: string[] = [];
  for (let run = 0; run < options.runs; run++) runIds.push(await client.createRun(CREATE_BODY));
  let stopped: Promise<void> | undefined;
  return {
    relayd,
    client,
    runIds,
    stop() {
      stopped ??= client.close().then(() => relayd.stop());
      return stopped;
    },
  };
}
