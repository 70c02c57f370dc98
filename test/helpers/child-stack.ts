// A cloud emulator and relayd as a real child process of the built CLI on a temp data dir, for
// tests that kill relayd with SIGKILL or need its own event loop. Registers before/after hooks;
// the returned object is filled in once the before hook has run.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { CloudEmulator, type EmulatorOptions } from '../emulator/emulator.js';
import { spawnRelayd, tempDir, testOptions, type ChildRelayd, type Options } from './relayd.js';

export interface ChildStack {
  emulator: CloudEmulator;
  relayd: ChildRelayd;
  /** A temp folder for the test's own files; the store is in its `store` subfolder. */
  dir: string;
  /**
   * Kills relayd with SIGKILL and starts it again on the same data dir (on a new port); with `wipe`,
   * on an empty one, as a pod rescheduled without its volume.
   */
  restart(options?: { wipe?: boolean }): Promise<ChildRelayd>;
}

export function useChildStack(overrides: Options = {}, emulatorOptions: EmulatorOptions = {}): ChildStack {
  const stack = {} as ChildStack;
  let data: Awaited<ReturnType<typeof tempDir>>;
  let options: Options;
  before(async () => {
    stack.emulator = new CloudEmulator(emulatorOptions);
    await stack.emulator.listen();
    data = await tempDir();
    stack.dir = data.path;
    // info: the ready line spawnRelayd waits for is logged at info.
    options = testOptions(stack.emulator.url, join(data.path, 'store'), { 'log-level': 'info', ...overrides });
    stack.relayd = await spawnRelayd(options);
  });
  stack.restart = async ({ wipe = false } = {}) => {
    stack.relayd.child.kill('SIGKILL');
    await stack.relayd.exited;
    if (wipe) await rm(options['data-dir']!, { recursive: true, force: true });
    stack.relayd = await spawnRelayd(options);
    return stack.relayd;
  };
  after(async () => {
    stack.relayd.child.kill('SIGKILL');
    await stack.relayd.exited;
    await stack.emulator.close();
    await data.remove();
  });
  return stack;
}
