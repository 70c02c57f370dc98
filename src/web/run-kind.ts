// How a run came to relayd, as the pages show it: created in the cloud through relayd (`cloud`),
// created by relayd while the cloud could not be reached (`provisional`), or created elsewhere and
// pushed to relayd (`adopted`).
import type { RunView } from '../ingest/admin-messages.js';

export type RunKind = 'cloud' | 'provisional' | 'adopted';

export function runKind(view: RunView): RunKind {
  if (view.adopted) return 'adopted';
  return view.provisional ? 'provisional' : 'cloud';
}

/** A run as the pages receive it: the admin API's view and its kind. */
export type PageRun = RunView & { readonly kind: RunKind };

export function pageRun(view: RunView): PageRun {
  return { ...view, kind: runKind(view) };
}
