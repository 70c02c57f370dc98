// The cloud's answer to a create (§3.2): a non-empty reference_id, an optional config override and
// optional console log lines for k6.

export interface CreateAnswer {
  readonly referenceId: string;
  readonly config: Record<string, unknown> | null;
  readonly logs: unknown[] | null;
}

/** Returns null when the body is not a usable create answer. */
export function parseCreateAnswer(body: Buffer): CreateAnswer | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object') return null;
  const { reference_id: id, config, logs } = parsed as Record<string, unknown>;
  const referenceId = typeof id === 'number' ? String(id) : id;
  if (typeof referenceId !== 'string' || referenceId === '') return null;
  return {
    referenceId,
    config: config && typeof config === 'object' && !Array.isArray(config) ? (config as Record<string, unknown>) : null,
    logs: Array.isArray(logs) ? logs : null,
  };
}
