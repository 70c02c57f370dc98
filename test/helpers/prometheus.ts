// Reading relayd's Prometheus exposition in tests.
import assert from 'node:assert/strict';

/** The value of one sample of the exposition text; labels must match exactly (order as given). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ? match[2].split(',') : [];
    if (present.length === wanted.length && wanted.every((label) => present.includes(label))) return Number(match[3]);
  }
  return undefined;
}

/** GET /metrics of a relayd, checked to be the text exposition format. */
export async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return response.text();
}
