import type { Tags } from './types.js';

/**
 * The identity of a tag set: equal for equal names and values whatever their insertion order (k6
 * interns tag sets, so its key is exact equality). `head` adds more identity, e.g. the metric.
 * This is the one string built per sample; JSON keeps it unambiguous for any tag content.
 */
export function tagSetKey(tags: Readonly<Tags>, head: readonly string[] = []): string {
  const parts = head.slice();
  for (const name of Object.keys(tags).sort()) parts.push(name, tags[name] as string);
  return JSON.stringify(parts);
}
