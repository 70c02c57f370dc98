// The pages relayd serves on its own port, read-only (README, "Run pages"):
//   GET /                  the runs on this host and relayd's health (list.html + list.js)
//   GET /runs/:id          a browser's view of the run link k6 prints (run.html + run.js); other
//                          clients keep getting the JSON there (http-server.ts negotiates)
//   GET /events            the list's live updates, GET /runs/:id/events a run's (server-sent events)
//   GET /ui/<file>         the pages' scripts and styles, uPlot's included
// The HTML files are static shells; the scripts draw everything from the event streams.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RelaydError } from '../errors.js';
import type { AdminApi } from '../ingest/admin-api.js';
import type { RunnerAuth } from '../ingest/runner-auth.js';
import type { Logger } from '../observe/index.js';
import type { ResultsSource } from '../results/types.js';
import { PAGE_HEADERS, pageFile, sendAsset, sendFile } from './assets.js';
import { EventStreams, type Feed } from './event-stream.js';
import { ListFeed } from './list-feed.js';
import { BASIC_CHALLENGE, pageAllowed } from './page-auth.js';
import { RunFeed } from './run-feed.js';

/** Open pages following live updates, across all runs; each is one connection and a timer. */
export const MAX_EVENT_STREAMS = 64;

export interface WebPagesOptions {
  readonly admin: AdminApi;
  readonly results: ResultsSource;
  readonly auth: RunnerAuth;
  readonly logger: Logger;
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A page with a title and one paragraph, for the answers that are not a run or the list. */
function messagePage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · relayd</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/ui/app.css"></head>
<body><header class="top"><a class="brand" href="/">relayd</a></header>
<main class="message"><h1>${escapeHtml(title)}</h1><p>${message}</p><p><a href="/">All runs on this relayd</a></p></main></body></html>
`;
}

function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...headers, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

export class WebPages {
  readonly #admin: AdminApi;
  readonly #results: ResultsSource;
  readonly #auth: RunnerAuth;
  readonly #streams: EventStreams;

  constructor(options: WebPagesOptions) {
    this.#admin = options.admin;
    this.#results = options.results;
    this.#auth = options.auth;
    this.#streams = new EventStreams(MAX_EVENT_STREAMS, options.logger);
  }

  listPage(req: IncomingMessage, res: ServerResponse): void {
    if (this.#allowedHtml(req, res)) sendFile(pageFile('list.html'), req, res);
  }

  runPage(req: IncomingMessage, res: ServerResponse, runId: string): void {
    if (!this.#allowedHtml(req, res)) return;
    if (this.#admin.runView(runId) === undefined) {
      const message = `relayd holds no run <code>${escapeHtml(runId)}</code>. It may have been created on another relayd, or its data directory was removed.`;
      sendHtml(res, 404, messagePage('Run not found', message));
      return;
    }
    sendFile(pageFile('run.html'), req, res);
  }

  listEvents(req: IncomingMessage, res: ServerResponse): void {
    this.#checkJson(req);
    const feed = new ListFeed({ status: () => this.#admin.statusView(), runs: () => this.#admin.runList().runs, results: this.#results });
    this.#stream(res, feed);
  }

  runEvents(req: IncomingMessage, res: ServerResponse, runId: string): void {
    this.#checkJson(req);
    if (this.#admin.runView(runId) === undefined) throw new RelaydError('RELAYD_UNKNOWN_RUN', runId);
    this.#stream(res, new RunFeed(runId, (id) => this.#admin.runView(id), this.#results));
  }

  /** Scripts and styles hold no run data: served without a token, so the sign-in page can be styled. */
  asset(req: IncomingMessage, res: ServerResponse, name: string): void {
    if (!sendAsset(name, req, res)) throw new RelaydError('RELAYD_NOT_FOUND', `/ui/${name}`);
  }

  #stream(res: ServerResponse, feed: Feed): void {
    if (this.#streams.start(res, feed)) return;
    feed.close();
    throw new RelaydError('RELAYD_TOO_MANY_VIEWERS', `${MAX_EVENT_STREAMS} open`);
  }

  /** Whether the page may be shown; if not, answers 401 with the browser's sign-in prompt. */
  #allowedHtml(req: IncomingMessage, res: ServerResponse): boolean {
    if (pageAllowed(this.#auth, req.headers.authorization)) return true;
    const message = 'This relayd checks runner tokens. Sign in with any user name and one of its runner tokens (<code>--accept-token</code>) as the password.';
    sendHtml(res, 401, messagePage('Sign in to see the runs', message), { 'www-authenticate': BASIC_CHALLENGE });
    return false;
  }

  /** The event streams answer a missing token in JSON (the page that opens them got the prompt). */
  #checkJson(req: IncomingMessage): void {
    if (!pageAllowed(this.#auth, req.headers.authorization)) throw new RelaydError('RELAYD_UNAUTHORIZED', 'the pages take the token as the HTTP Basic password');
  }
}
