// Content negotiation for the run link k6 prints (/runs/:id): a browser gets the page, everything
// else the JSON it always got. Only media types named outright count: curl's and fetch's `*/*`
// and a missing Accept keep JSON, while a browser's `text/html,…,*/*;q=0.8` gets HTML.

/** The quality the Accept header gives each media type it names (wildcards left out). */
function qualities(accept: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const entry of accept.split(',')) {
    const [type = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    if (type === '' || type.includes('*')) continue;
    const q = params.find((param) => param.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    found.set(type, Number.isFinite(quality) ? quality : 0);
  }
  return found;
}

/** Whether the client asks for HTML ahead of JSON. */
export function prefersHtml(accept: string | undefined): boolean {
  const found = qualities(accept ?? '');
  const html = Math.max(found.get('text/html') ?? 0, found.get('application/xhtml+xml') ?? 0);
  return html > 0 && html > (found.get('application/json') ?? 0);
}
