// The run page in a real browser (Debian's headless Chromium): a run created while the cloud is
// away, as a new user meets it. k6 gets relayd's own link; the page there draws the run's results
// with points in every chart, shows the request count and p95 the cloud (the emulator) received
// once it is back, follows the run live without a reload, and shows the same figures after relayd
// is killed with SIGKILL and started again. A screenshot is kept under test/artifacts.
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { V1Envelope } from '../../src/aggregate/index.js';
import type { EmulatedRun } from '../emulator/run.js';
import { useChildStack } from '../helpers/child-stack.js';
import { eventually, useRelaydStack } from '../helpers/relayd.js';
import { ScriptedRunner } from '../helpers/runner.js';
import { generateV1Pushes, RetryingV1Runner } from '../helpers/v1-traffic.js';
import { artifactPath, useChromium } from './browser.js';

// The functions given to page.evaluate and waitForFunction run in the page, whose globals these are
// (the project's tsconfig has no DOM lib).
declare const window: any;
declare const document: any;

const SECONDS = 20;
const REQUESTS = 1600;
/** Pushes sent before the page opens; the rest come while it watches. */
const FIRST_PUSHES = 12;
const CHARTS = ['requests', 'duration', 'failures', 'vus', 'delivery'];

/** The HTTP requests the cloud received and their http_req_duration values, from the raw v1 pushes it recorded. */
function cloudFigures(run: EmulatedRun): { requests: number; p95: number } {
  let requests = 0;
  const durations: number[] = [];
  for (const push of run.pushes.filter((p) => !p.duplicate && p.status === 200)) {
    for (const envelope of JSON.parse(gunzipSync(push.body).toString('utf8')) as V1Envelope[]) {
      if (envelope.type !== 'Points') continue;
      requests += envelope.data.values.http_reqs ?? 0;
      durations.push(envelope.data.values.http_req_duration!);
    }
  }
  durations.sort((a, b) => a - b);
  // Nearest rank, as the results engine reads it from k6's histogram.
  return { requests, p95: durations[Math.ceil(0.95 * durations.length) - 1]! };
}

/**
 * Width (ms) of the k6 histogram bucket holding `ms` (§6.4: 1 µs below 256 µs, then 128 buckets per
 * power of two): the engine answers a percentile with its bucket's upper bound.
 */
function bucketWidth(ms: number): number {
  const u = Math.ceil(ms * 1000);
  return u < 256 ? 0.001 : 2 ** (Math.floor(Math.log2(u)) - 7) / 1000;
}

/** "1,600" → 1600; "48.2ms" → 48.2; "1.2s" → 1200; "870µs" → 0.87. */
function parseFigure(text: string): number {
  const match = /^([\d,.]+)\s*(µs|ms|s)?$/.exec(text.trim());
  assert.ok(match, `a figure: ${JSON.stringify(text)}`);
  const value = Number(match[1]!.replaceAll(',', ''));
  return value * ({ µs: 0.001, ms: 1, s: 1000 }[match[2] ?? 'ms'] ?? 1);
}

async function tileText(page: Page, figure: string): Promise<string> {
  return page.locator(`.tile[data-figure="${figure}"] .value`).innerText();
}

/** Waits until the requests tile shows `count`. */
async function requestsShown(page: Page, count: number): Promise<void> {
  const expected = count.toLocaleString('en-US');
  await page.waitForFunction((text) => document.querySelector('.tile[data-figure="requests"] .value')?.textContent === text, expected, { timeout: 20_000 });
}

const chromium = useChromium();

describe('the run page in Chromium', () => {
  const stack = useChildStack();

  it('shows a provisional run at the link k6 prints, live, with the figures the cloud received, and again after kill -9', { timeout: 180_000 }, async () => {
    const problems: string[] = [];
    const page = await chromium.browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));

    await stack.emulator.down();
    const runner = new RetryingV1Runner(() => stack.relayd.url);
    const created = JSON.parse((await runner.create()).body.toString()) as { config: { testRunDetails: string } };
    const link = created.config.testRunDetails;
    assert.equal(link, `${stack.relayd.url}/runs/${runner.runId}`, 'k6 prints relayd\'s run page');
    const pushes = generateV1Pushes({ requests: REQUESTS, seconds: SECONDS, startUs: (Date.now() - SECONDS * 1000) * 1000 });
    for (const push of pushes.slice(0, FIRST_PUSHES)) await runner.push(push);
    await stack.emulator.up();
    const cloudRun = async (pushCount: number): Promise<EmulatedRun> => {
      let found: EmulatedRun | undefined;
      await eventually(() => (found = [...stack.emulator.runs.values()][0])?.pushes.filter((p) => !p.duplicate).length === pushCount, 20_000, `${pushCount} pushes in the cloud`);
      return found!;
    };

    await page.goto(link);
    const first = cloudFigures(await cloudRun(FIRST_PUSHES));
    await requestsShown(page, first.requests);
    await page.waitForFunction((names) => names.every((name) => window.relaydCharts?.[name]?.data[0].length > 0), CHARTS);
    const p95 = parseFigure(await tileText(page, 'p95'));
    assert.ok(p95 >= first.p95 - 0.005 && p95 <= first.p95 + bucketWidth(first.p95) + 0.005, `page p95 ${p95} ms, the cloud's ${first.p95} ms (k6 histogram bucket ${bucketWidth(first.p95)} ms)`);
    assert.equal(await page.locator('#run-kind').innerText(), 'provisional');

    // Every chart has points, and its canvas has pixels drawn.
    const drawn = await page.evaluate((names) => {
      const charts = window.relaydCharts;
      return names.map((name) => {
        const plot = charts[name];
        const canvas = plot.root.querySelector('canvas');
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data as Uint8ClampedArray;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
        const points = (plot.data as (number | null)[][]).slice(1).reduce((n, column) => n + column.filter((v) => v != null).length, 0);
        return { name, points, painted };
      });
    }, CHARTS);
    for (const chart of drawn) {
      assert.ok(chart.points > 0, `${chart.name} has points`);
      assert.ok(chart.painted > 1000, `${chart.name} drew on its canvas (${chart.painted} pixels)`);
    }
    const pointsBefore = drawn.find((c) => c.name === 'requests')!.points;

    // More data while the page is open: the figures move without a reload.
    await page.evaluate(() => (window.sameDocument = true));
    for (const push of pushes.slice(FIRST_PUSHES)) await runner.push(push);
    await runner.finish();
    const all = cloudFigures(await cloudRun(pushes.length));
    assert.equal(all.requests, REQUESTS);
    await requestsShown(page, all.requests);
    await page.waitForFunction(() => document.getElementById('run-state')?.textContent === 'finished');
    assert.equal(await page.evaluate(() => window.sameDocument), true, 'the same document: no reload');
    const pointsAfter = await page.evaluate(() => window.relaydCharts.requests.data[1].filter((v: number | null) => v != null).length);
    assert.ok(pointsAfter > pointsBefore, `the requests chart grew (${pointsBefore} → ${pointsAfter} points)`);
    const p95After = parseFigure(await tileText(page, 'p95'));
    assert.ok(p95After >= all.p95 - 0.005 && p95After <= all.p95 + bucketWidth(all.p95) + 0.005, `page p95 ${p95After} ms, the cloud's ${all.p95} ms`);

    const screenshot = await artifactPath('run-page.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`run page screenshot: ${screenshot}`);

    const shown = { requests: await tileText(page, 'requests'), p95: await tileText(page, 'p95'), failed: await tileText(page, 'failed') };
    const summary = await page.locator('#summary').innerText();
    assert.equal(problems.length, 0, `no script error, nothing refused by the CSP:\n${problems.join('\n')}`);
    const restarted = await stack.restart();
    await page.goto(`${restarted.url}/runs/${runner.runId}`);
    // The old page's event stream broke with the kill and retried the old port: expected errors.
    problems.length = 0;
    await requestsShown(page, all.requests);
    assert.deepEqual({ requests: await tileText(page, 'requests'), p95: await tileText(page, 'p95'), failed: await tileText(page, 'failed') }, shown, 'the same figures after kill -9');
    assert.equal(await page.locator('#summary').innerText(), summary, 'the same summary after kill -9');

    const missing = await page.goto(`${restarted.url}/runs/no-such-run`);
    assert.equal(missing?.status(), 404);
    assert.equal(await page.locator('h1').innerText(), 'Run not found');

    const list = await page.goto(`${restarted.url}/`);
    assert.equal(list?.status(), 200);
    await page.waitForSelector(`tr[data-run="${runner.runId}"]`);
    const row = page.locator(`tr[data-run="${runner.runId}"]`);
    assert.equal(await row.locator('[data-figure="requests"]').innerText(), shown.requests);
    assert.equal(await row.locator('[data-figure="p95"]').innerText(), shown.p95);
    await page.screenshot({ path: await artifactPath('run-list.png'), fullPage: true });

    // The 404 page's own status is the one console error a browser reports.
    const after = problems.filter((p) => !p.includes('404'));
    assert.equal(after.length, 0, `no script error after the restart:\n${after.join('\n')}`);
    await page.close();
  });
});

describe('the run page in Chromium, with runner tokens', () => {
  const token = 'browser-page-token-31c4';
  const stack = useRelaydStack({ 'accept-token': token });

  it('challenges a browser without the token, and shows the run with it as the Basic password', { timeout: 60_000 }, async () => {
    const runner = new ScriptedRunner(stack.relayd.url, { token: `Token ${token}` });
    assert.equal((await runner.create()).status, 200);
    assert.equal((await runner.push()).status, 200);
    const link = `${stack.relayd.url}/runs/${runner.runId}`;

    // Without credentials the browser is challenged; headless, nobody answers its prompt (the
    // page behind it, 401 "Sign in", is checked in pages-http.test.ts).
    const stranger = await chromium.browser.newContext();
    await assert.rejects((await stranger.newPage()).goto(link), /ERR_INVALID_AUTH_CREDENTIALS/);
    await stranger.close();

    const member = await chromium.browser.newContext({ httpCredentials: { username: 'me', password: token } });
    const page = await member.newPage();
    page.setDefaultTimeout(20_000);
    assert.equal((await page.goto(link))?.status(), 200);
    // The event stream went through with the same credentials: the figures arrived.
    await page.waitForFunction(() => document.getElementById('live')?.dataset.state === 'live');
    await page.waitForFunction(() => /\d/.test(document.querySelector('.tile[data-figure="requests"] .value')?.textContent ?? ''));
    assert.ok(!(await page.content()).includes(token), 'the page shows no token');
    await member.close();
  });
});
