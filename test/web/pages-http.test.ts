// The run pages over plain HTTP: the run link k6 prints answers a browser with HTML and every other
// client with the JSON it always got; an unknown run is a clear 404 in either form; the pages'
// files come from relayd itself under a Content-Security-Policy; the event streams send a snapshot,
// then updates, and are bounded; with runner tokens, the pages want one (HTTP Basic) and never show it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { runViewSchema } from '../../src/ingest/admin-messages.js';
import { MAX_EVENT_STREAMS, type RunSnapshot, type RunUpdate } from '../../src/web/index.js';
import { send } from '../emulator/send.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';
import { openEventStream, type EventStreamClient } from './event-stream-client.js';

/** Long enough for the results engine (about 1 s) and the stream (1 s) to pass a change on. */
const QUIET_MS = 4000;

/** What Chromium sends for a page it navigates to. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8';

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await send(url, { method: 'GET', headers });
  return { ...response, text: response.body.toString('utf8') };
}

describe('run pages over HTTP', () => {
  const stack = useRelaydStack();

  it('answers the run link with HTML for a browser and the unchanged JSON for everyone else', async () => {
    const runner = new ScriptedRunner(stack.relayd.url);
    assert.equal((await runner.create()).status, 200);
    assert.equal((await runner.push()).status, 200);
    const link = `${stack.relayd.url}/runs/${runner.runId}`;
    const apiView = async () => runViewSchema.parse(JSON.parse((await get(`${stack.relayd.url}/api/v1/runs/${runner.runId}`)).text));
    // Compared once the push is delivered and its removal landed (just after), so that the view holds still.
    const settled = async (): Promise<boolean> => {
      const view = await apiView();
      return view.delivered.requests === 1 && view.pending.requests === 0;
    };
    await eventually(settled, 5000, 'the push delivered');
    const api = await apiView();

    for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/html;q=0.5']) {
      const answer = await get(link, accept === undefined ? {} : { accept });
      assert.equal(answer.status, 200, `Accept: ${accept}`);
      assert.equal(answer.headers['content-type'], 'application/json', `Accept: ${accept}`);
      assert.equal(answer.headers.vary, 'Accept');
      assert.deepEqual(runViewSchema.parse(JSON.parse(answer.text)), api, `Accept: ${accept} gets the admin API's view`);
    }
    const list = await get(`${stack.relayd.url}/runs`, { accept: '*/*' });
    assert.equal(list.headers['content-type'], 'application/json');

    const page = await get(link, { accept: BROWSER_ACCEPT });
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers.vary, 'Accept');
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.match(page.text, /<script type="module" src="\/ui\/run\.js"><\/script>/);
    assert.doesNotMatch(page.text, /(?:src|href)="(?:https?:)?\/\//, 'nothing loads from another origin');
    const home = await get(`${stack.relayd.url}/`, { accept: BROWSER_ACCEPT });
    assert.equal(home.status, 200);
    assert.match(home.text, /src="\/ui\/list\.js"/);
  });

  it('answers an unknown run with a 404 page for a browser and the JSON error otherwise', async () => {
    const page = await get(`${stack.relayd.url}/runs/no-such-run`, { accept: BROWSER_ACCEPT });
    assert.equal(page.status, 404);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(page.text, /Run not found/);
    assert.match(page.text, /<code>no-such-run<\/code>/);
    const json = await get(`${stack.relayd.url}/runs/no-such-run`, { accept: '*/*' });
    assert.equal(json.status, 404);
    assert.deepEqual(JSON.parse(json.text).error.details.relayd_code, ['RELAYD_UNKNOWN_RUN']);
    const events = await get(`${stack.relayd.url}/runs/no-such-run/events`);
    assert.equal(events.status, 404);
  });

  it('serves uPlot and its own scripts from the package, with ETags', async () => {
    const require = createRequire(import.meta.url);
    const uplot = await get(`${stack.relayd.url}/ui/uPlot.iife.min.js`);
    assert.equal(uplot.status, 200);
    assert.equal(uplot.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.ok(uplot.body.equals(readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'))), 'the file npm installed');
    const again = await get(`${stack.relayd.url}/ui/uPlot.iife.min.js`, { 'if-none-match': String(uplot.headers.etag) });
    assert.equal(again.status, 304);
    for (const name of ['run.js', 'list.js', 'charts.js', 'format.js', 'app.css', 'uPlot.min.css']) {
      assert.equal((await get(`${stack.relayd.url}/ui/${name}`)).status, 200, name);
    }
    assert.equal((await get(`${stack.relayd.url}/ui/nope.js`)).status, 404);
  });

  it('streams a snapshot, then updates as data arrives, and bounds the open streams', async () => {
    const runner = new ScriptedRunner(stack.relayd.url);
    assert.equal((await runner.create()).status, 200);
    assert.equal((await runner.push()).status, 200);
    const stream = await openEventStream(`${stack.relayd.url}/runs/${runner.runId}/events`);
    try {
      assert.equal(stream.status, 200);
      assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const first = await stream.next();
      assert.equal(first.event, 'snapshot');
      const snapshot = first.data as RunSnapshot;
      assert.equal(snapshot.run.id, runner.runId);
      assert.equal(snapshot.run.kind, 'cloud');
      assert.equal(snapshot.run.received.requests, 1);

      assert.equal((await runner.push()).status, 200);
      // Updates until the run is quiet, merged as the page merges them: each carries only the
      // buckets that are new or changed, and together they make what a fresh snapshot holds.
      let buckets = snapshot.results?.buckets ?? [];
      let last: RunUpdate | undefined;
      let withResults = 0;
      for (;;) {
        const next = await stream.next(QUIET_MS).catch(() => null);
        if (next === null) break;
        assert.equal(next.event, 'update');
        last = next.data as RunUpdate;
        if (last.results === undefined) continue;
        withResults += 1;
        const { buckets: changed, bucketsFrom } = last.results;
        const byTime = new Map(buckets.filter((b) => bucketsFrom === null || b.t >= bucketsFrom).map((b) => [b.t, b]));
        for (const bucket of changed) byTime.set(bucket.t, bucket);
        buckets = [...byTime.values()].sort((a, b) => a.t - b.t);
      }
      assert.equal(last?.run.received.requests, 2);
      assert.ok(withResults > 0, 'an update carried the new results');
      const fresh = await openEventStream(`${stack.relayd.url}/runs/${runner.runId}/events`);
      try {
        const again = (await fresh.next()).data as RunSnapshot;
        assert.ok(again.results !== null && again.results.totals.requests > 0);
        assert.deepEqual(buckets, again.results.buckets, 'snapshot + updates = a fresh snapshot');
      } finally {
        fresh.close();
      }
    } finally {
      stream.close();
    }

    const open: EventStreamClient[] = [];
    try {
      // The stream above is gone once the server saw it close.
      await eventually(async () => {
        const probe = await openEventStream(`${stack.relayd.url}/events`);
        open.push(probe);
        return probe.status === 200;
      }, 5000, 'a free stream slot');
      while (open.length < MAX_EVENT_STREAMS) open.push(await openEventStream(`${stack.relayd.url}/events`));
      assert.ok(open.every((s) => s.status === 200));
      const refused = await get(`${stack.relayd.url}/events`);
      assert.equal(refused.status, 503);
      assert.deepEqual(JSON.parse(refused.text).error.details.relayd_code, ['RELAYD_TOO_MANY_VIEWERS']);
      open.pop()!.close();
      await eventually(async () => {
        const next = await openEventStream(`${stack.relayd.url}/events`);
        open.push(next);
        return next.status === 200;
      }, 5000, 'the closed stream to free its slot');
    } finally {
      for (const s of open) s.close();
    }
  });
});

describe('run pages with runner tokens', () => {
  const token = 'page-secret-7d1f';
  const stack = useRelaydStack({ 'accept-token': token });
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('asks a browser to sign in, takes the token as the Basic password, and never shows it', async () => {
    const runner = new ScriptedRunner(stack.relayd.url, { token: `Token ${token}` });
    assert.equal((await runner.create()).status, 200);
    const link = `${stack.relayd.url}/runs/${runner.runId}`;

    for (const authorization of [undefined, basic('me', 'wrong'), 'Token wrong']) {
      const refused = await get(link, { accept: BROWSER_ACCEPT, ...(authorization ? { authorization } : {}) });
      assert.equal(refused.status, 401, String(authorization));
      assert.match(String(refused.headers['www-authenticate']), /^Basic realm="relayd/);
      assert.match(refused.text, /Sign in/);
    }
    assert.equal((await get(`${stack.relayd.url}/`, { accept: BROWSER_ACCEPT })).status, 401);
    assert.equal((await get(`${stack.relayd.url}/runs/${runner.runId}/events`)).status, 401);
    assert.equal((await get(`${stack.relayd.url}/events`)).status, 401);

    for (const authorization of [basic('anyone', token), basic('', token), `Token ${token}`]) {
      const page = await get(link, { accept: BROWSER_ACCEPT, authorization });
      assert.equal(page.status, 200, authorization);
      assert.ok(!page.text.includes(token));
    }
    for (const url of [`${stack.relayd.url}/runs/${runner.runId}/events`, `${stack.relayd.url}/events`]) {
      const stream = await openEventStream(url, { authorization: basic('me', token) });
      try {
        assert.equal(stream.status, 200, url);
        const first = await stream.next();
        assert.ok(!JSON.stringify(first.data).includes(token), `${url} shows no token`);
      } finally {
        stream.close();
      }
    }
  });
});
