// Real k6 captures (v0.48.0 and v1.3.0, see the README of each folder under test/fixtures): loading
// them and replaying a folder against any k6 cloud endpoint (the emulator, or relayd itself).
//
// Each capture is `NNN-METHOD-path.headers.txt` (comment lines, the request line, headers) with
// the raw body in `.bin` and, for v0.48.0, the decoded body in `.json`. The captures were made against a
// server that answered create with run id "1234"; replay maps that id to whatever the target's
// create returns, rewriting the path and, for v2, the MetricSet's test_run_id.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rewriteTestRunId, snappyCompress, snappyUncompressBounded } from '../../src/protocol/index.js';
import { type Route, matchRoute, routePath } from './routes.js';
import { type Framing, type SendResult, send } from './send.js';

/** A copy vendored into the repository wins over the shared folder. */
function capturesDir(version: string): string {
  const vendored = fileURLToPath(new URL(`../fixtures/k6-${version}`, import.meta.url));
  return existsSync(vendored) ? vendored : `/work/shared/fixtures/k6-${version}`;
}
export const FIXTURES_DIR = capturesDir('v0.48.0');
const V1_3_DIR = capturesDir('v1.3.0');

/** k6 v0.48.0 `k6 run --out cloud`, API v1 and v2. */
export const FIXTURE_FOLDERS = ['v1', 'v1-aggr-override', 'v2', 'v2-sigint', 'v2-threshold-fail'] as const;
/** k6 v1.3.0, one folder per command (its README); no `.json` decodings. */
export const V1_3_FOLDERS = ['run-out-cloud', 'cloud-run-local-execution', 'cloud-run-local-execution-no-archive', 'push-ref-id'] as const;
export type FixtureFolder = (typeof FIXTURE_FOLDERS)[number] | (typeof V1_3_FOLDERS)[number];

function folderDir(folder: FixtureFolder): string {
  return join((V1_3_FOLDERS as readonly string[]).includes(folder) ? V1_3_DIR : FIXTURES_DIR, folder);
}

/** The run id the captures were recorded with. */
export const FIXTURE_RUN_ID = '1234';

const HOP_BY_HOP = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);
const MAX_FIXTURE_BYTES = 16 * 1024 * 1024;

export interface FixtureRequest {
  /** e.g. `002-POST-v1_metrics_1234` */
  name: string;
  method: string;
  path: string;
  route: Route;
  /** Lower-cased names, as captured. */
  headers: Record<string, string>;
  /** The raw body exactly as k6 sent it. */
  body: Buffer;
  /** The capture's `.json`: the decoded body (v1 envelopes, MetricSet as proto3 JSON, …); undefined without one. */
  decoded: unknown;
}

export function loadFixture(folder: FixtureFolder): FixtureRequest[] {
  const dir = folderDir(folder);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.headers.txt'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.headers.txt'.length);
      const { method, path, headers } = parseHeadersFile(readFileSync(join(dir, file), 'utf8'));
      const route = matchRoute(path);
      if (route === undefined) throw new Error(`${dir}/${file}: unexpected path ${path}`);
      const decoded = join(dir, `${name}.json`);
      return {
        name,
        method,
        path,
        route,
        headers,
        body: readFileSync(join(dir, `${name}.bin`)),
        decoded: existsSync(join(dir, `${name}.json`)) ? JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) : undefined,
      };
    });
}

function parseHeadersFile(text: string): { method: string; path: string; headers: Record<string, string> } {
  const lines = text.split('\n').filter((line) => !line.startsWith('#'));
  const [method = '', path = ''] = (lines.shift() ?? '').split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    if (line.trim() === '') break;
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method, path, headers };
}

export interface ReplayOptions {
  /** Absent: each body framed as captured (chunked where k6 sent it chunked, else Content-Length). */
  framing?: Framing;
  /** Replaces the captured `Authorization` header (`Token testtoken`). */
  authorization?: string;
}

export interface ReplayResult {
  /** The run id the target's create answered with. */
  runId: string;
  responses: SendResult[];
}

/** Sends every capture of a folder in order; the create response's reference_id is used after it. */
export async function replayFixture(baseUrl: string, folder: FixtureFolder, options: ReplayOptions = {}): Promise<ReplayResult> {
  let runId = FIXTURE_RUN_ID;
  const responses: SendResult[] = [];
  for (const fixture of loadFixture(folder)) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(fixture.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    const route = fixture.route.kind === 'create' ? fixture.route : { ...fixture.route, runId };
    const body = route.kind === 'v2-push' ? withRunId(fixture.body, runId) : fixture.body;
    const framing = options.framing ?? (fixture.headers['transfer-encoding'] === 'chunked' ? 'chunked' : 'content-length');
    const response = await send(baseUrl + routePath(route), { method: fixture.method, headers, body, framing });
    responses.push(response);
    if (route.kind === 'create' && response.status === 200) {
      runId = (JSON.parse(response.body.toString('utf8')) as { reference_id: string }).reference_id;
    }
  }
  return { runId, responses };
}

/** A v2 body for another run id; the captured bytes themselves when the id is unchanged. */
export function withRunId(body: Buffer, runId: string): Buffer {
  if (runId === FIXTURE_RUN_ID) return body;
  return snappyCompress(rewriteTestRunId(snappyUncompressBounded(body, MAX_FIXTURE_BYTES), runId));
}
