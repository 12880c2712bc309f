/**
 * The tree's first level written into the page, so its first paint needs no
 * `/metrics/find` round trip: the same entries `/metrics/find?query=*&format=treejson`
 * answers, as the rows the page's script makes (src/web/tree.ts `row`).
 * Names are data: every one is escaped, as text and in attributes.
 */
import { toNodes, treeJson, type TreeEntry } from "../graphite-api/find-format.js";
import type { NameSource } from "../graphite-api/graphite-data.js";

/**
 * Most entries written into the page. A larger first level (or one read
 * before the names are first listed) is left to the page's own request,
 * as before: a page of tens of thousands of rows would be slower to send
 * than the round trip it saves.
 */
export const FIRST_LEVEL_MAX = 2000;

/** The first level now, or null when it is not known yet or too large to write into the page. */
export function firstLevelOf(names: NameSource): () => TreeEntry[] | null {
  let ready = false;
  names.ready().then(
    () => void (ready = true),
    () => undefined, // the page asks itself, and shows the error
  );
  return () => {
    if (!ready) return null;
    const found = names.index().find("*", { limit: FIRST_LEVEL_MAX + 1 });
    if (found.truncated) return null;
    const entries = treeJson(toNodes(found.nodes, false), "", false);
    return entries.length > FIRST_LEVEL_MAX ? null : entries;
  };
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** Text safe both between tags and inside a double-quoted attribute. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]);

/** The rows of one level, as src/web/tree.ts makes them (the script takes them over as they are). */
export function treeRows(entries: readonly TreeEntry[]): string {
  let out = "";
  for (const e of entries) {
    const kind = e.leaf ? ' data-leaf="1"' : ' aria-expanded="false"';
    out += `<li role="treeitem" data-path="${escapeHtml(e.id)}"${kind}><span tabindex="-1">${escapeHtml(e.text)}</span></li>`;
  }
  return out;
}
