// The stage of a torture scenario: the cloud emulator in this process, a temp folder for relayd's
// data dirs, and every relayd child spawned on it (killed at the end, whatever happened). Scenarios
// end the same way: finish the runs, wait for the cloud to have every finish, stop relayd cleanly
// and settle the ledger.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CloudEmulator, type EmulatedRun } from '../emulator/emulator.js';
import { eventually, spawnRelayd, tempDir, testOptions, type ChildRelayd, type Options } from '../helpers/relayd.js';
import type { ScriptedRunner } from '../helpers/runner.js';
import { deadLetterKeys, Ledger, type LedgerLine } from './ledger.js';
import { samplesPerPush } from './load.js';

export interface RunnerOf {
  readonly runner: ScriptedRunner;
  readonly protocol: 'v1' | 'v2';
}

export class Stage {
  readonly emulator: CloudEmulator;
  readonly #base: Awaited<ReturnType<typeof tempDir>>;
  readonly #children: ChildRelayd[] = [];

  private constructor(emulator: CloudEmulator, base: Awaited<ReturnType<typeof tempDir>>) {
    this.emulator = emulator;
    this.#base = base;
  }

  static async open(prefix: string): Promise<Stage> {
    const emulator = new CloudEmulator();
    await emulator.listen();
    return new Stage(emulator, await tempDir(prefix));
  }

  /** A path in the stage's temp folder (a data dir, a mount point). */
  path(name: string): string {
    return join(this.#base.path, name);
  }

  /** Options for a relayd on the data dir `name`, forwarding to the emulator, logging at info. */
  options(name: string, overrides: Options = {}): Options {
    return testOptions(this.emulator.url, this.path(name), { 'log-level': 'info', ...overrides });
  }

  async spawn(options: Options): Promise<ChildRelayd> {
    const child = await spawnRelayd(options);
    this.#children.push(child);
    return child;
  }

  /**
   * Finishes every run through `relayd`, waits until the cloud has each finish, stops relayd with
   * SIGTERM (it must exit 0) and settles the ledger of the runners' acknowledged pushes against the
   * cloud and the dead letters in `dataDir`.
   */
  async finishAndSettle(scenario: string, relayd: ChildRelayd, dataDir: string, runners: readonly RunnerOf[]): Promise<{ line: LedgerLine; runs: EmulatedRun[] }> {
    for (const { runner } of runners) {
      runner.retarget(relayd.url);
      assert.equal((await runner.finish()).status, 200, `the finish of ${runner.runId}`);
    }
    const runs = runners.map(({ runner }) => this.emulator.runs.get(runner.runId)!);
    await eventually(() => runs.every((run) => run.finish !== undefined), 30_000, `every finish (${scenario})`);
    relayd.child.kill('SIGTERM');
    assert.equal(await relayd.exited, 0, `a clean stop; its stderr ended with: ${relayd.stderr().slice(-2000)}`);
    const ledger = new Ledger();
    for (const { runner, protocol } of runners) ledger.ackAll(runner.acked, await samplesPerPush(protocol));
    const line = ledger.settle(scenario, { received: runs.flatMap((run) => run.pushes), deadLettered: deadLetterKeys(dataDir) });
    return { line, runs };
  }

  /** Kills every relayd still running (SIGKILL) and waits until they are gone. */
  async killAll(): Promise<void> {
    for (const child of this.#children) child.child.kill('SIGKILL');
    await Promise.all(this.#children.map((child) => child.exited));
  }

  async close(): Promise<void> {
    await this.killAll();
    await this.emulator.close();
    await this.#base.remove();
  }
}
