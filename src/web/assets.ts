// The pages' files, served by relayd itself so that nothing loads from the internet: the HTML
// shells, styles and scripts in ./static (copied next to the compiled module by `npm run build`,
// so they are found from src under tsx and from dist alike) and uPlot's files from node_modules.
// Read once, on first use, and kept in memory with an ETag.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const STATIC_DIR = new URL('./static/', import.meta.url);
const require = createRequire(import.meta.url);

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

/** Scripts and styles only from relayd; no inline code, no frames, no forms. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers every page answer carries. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** Asset name (as in /ui/<name>) → where its file is. */
const FILES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(['app.css', 'format.js', 'charts.js', 'list.js', 'run.js'].map((name) => [name, fileURLToPath(new URL(name, STATIC_DIR))])),
  'uPlot.iife.min.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
  'uPlot.min.css': require.resolve('uplot/dist/uPlot.min.css'),
};

export const ASSET_PATH = /^\/ui\/([A-Za-z0-9.]+)$/;

interface Loaded {
  readonly body: Buffer;
  readonly etag: string;
  readonly type: string;
}

const loaded = new Map<string, Loaded>();

function load(path: string): Loaded {
  let file = loaded.get(path);
  if (file === undefined) {
    const body = readFileSync(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
    file = { body, etag, type: TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream' };
    loaded.set(path, file);
  }
  return file;
}

/** An HTML shell from ./static. */
export function pageFile(name: 'list.html' | 'run.html'): Loaded {
  return load(fileURLToPath(new URL(name, STATIC_DIR)));
}

/** Whether `name` is an asset; answers it (200, or 304 when the browser's copy is current). */
export function sendAsset(name: string, req: IncomingMessage, res: ServerResponse): boolean {
  const path = FILES[name];
  if (path === undefined) return false;
  sendFile(load(path), req, res);
  return true;
}

export function sendFile(file: Loaded, req: IncomingMessage, res: ServerResponse): void {
  const headers = { ...PAGE_HEADERS, etag: file.etag, 'content-type': file.type };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': file.body.byteLength });
  res.end(file.body);
}
