// Preloaded into a child relayd (NODE_OPTIONS=--import <this file>): appends the URL of every module
// the ES module loader loads to the file named by RELAYD_MODULE_LOG, so a test can tell what a process
// loaded. The same file is the loader hook, registered from the main thread (hooks run off it).
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) register(import.meta.url);

export async function load(url, context, nextLoad) {
  appendFileSync(process.env.RELAYD_MODULE_LOG, `${url}\n`);
  return nextLoad(url, context);
}
