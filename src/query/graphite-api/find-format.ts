/**
 * The shapes of `/metrics/find` as graphite-web 1.1.10 writes them
 * (metrics/views.py; reference §1.7), from the index's matches.
 *
 * graphite-web's finder yields a path that is both a leaf and a branch as
 * two nodes, the branch first; matches are then sorted by name (a stable
 * sort). Here the index's matches are already sorted by name, one per
 * path with both flags, so each is split back into its nodes first.
 */
import type { FindNode } from "../../graphite/name-index.js";
import { badParameter } from "../query-error.js";

/** One finder node, as graphite-web has them. */
export interface GraphiteNode {
  readonly path: string;
  readonly name: string;
  readonly isLeaf: boolean;
}

/** The index's matches as graphite-web's nodes: a path that is both gives its branch, then its leaf. */
export function toNodes(found: readonly FindNode[], leavesOnly: boolean): GraphiteNode[] {
  const out: GraphiteNode[] = [];
  for (const f of found) {
    if (f.branch && !leavesOnly) out.push({ path: f.path, name: f.name, isLeaf: false });
    if (f.leaf) out.push({ path: f.path, name: f.name, isLeaf: true });
  }
  return out;
}

/** `a.b.c*` → `a.b.`; a one-node query → `` (graphite-web's base_path). */
export function basePath(query: string): string {
  const dot = query.lastIndexOf(".");
  return dot === -1 ? "" : query.slice(0, dot + 1);
}

/** Python's `urllib.parse.unquote_plus`: `+` is a space, `%XX` bytes are UTF-8 (bad sequences become U+FFFD), a stray `%` stays. */
export function unquotePlus(text: string): string {
  if (!text.includes("%") && !text.includes("+")) return text;
  const s = text.replaceAll("+", " ");
  let out = "";
  let i = 0;
  while (i < s.length) {
    if (s[i] !== "%" || !/^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out += s[i++];
      continue;
    }
    const bytes: number[] = [];
    while (s[i] === "%" && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
    }
    out += new TextDecoder("utf-8").decode(Uint8Array.from(bytes));
  }
  return out;
}

export interface TreeEntry {
  text: string;
  id: string;
  allowChildren: 0 | 1;
  expandable: 0 | 1;
  leaf: 0 | 1;
}

const BRANCH = { allowChildren: 1, expandable: 1, leaf: 0 } as const;
const LEAF = { allowChildren: 0, expandable: 0, leaf: 1 } as const;

/**
 * `format=treejson`: one entry per name (the first node of that name wins),
 * branches then leaves, each in name order; with `wildcards` and more than
 * one node, a `*` entry first, a branch when any node is one.
 */
export function treeJson(nodes: readonly GraphiteNode[], base: string, wildcards: boolean): TreeEntry[] {
  const out: TreeEntry[] = [];
  if (nodes.length > 1 && wildcards) out.push({ text: "*", id: `${base}*`, ...(nodes.some((n) => !n.isLeaf) ? BRANCH : LEAF) });
  const seen = new Set<string>();
  const branches: TreeEntry[] = [];
  const leaves: TreeEntry[] = [];
  for (const node of nodes) {
    if (seen.has(node.name)) continue;
    seen.add(node.name);
    const entry = { text: unquotePlus(node.name), id: base + node.name };
    if (node.isLeaf) leaves.push({ ...entry, ...LEAF });
    else branches.push({ ...entry, ...BRANCH });
  }
  out.push(...branches, ...leaves);
  return out;
}

export type CompleterEntry = { path: string; name: string; is_leaf: "0" | "1" } | { name: "*" };

/** `format=completer`: every node in name order, a branch's path ending in `.`; `{"name":"*"}` last with `wildcards` and more than one. */
export function completer(nodes: readonly GraphiteNode[], wildcards: boolean): { metrics: CompleterEntry[] } {
  const metrics: CompleterEntry[] = nodes.map((n) => ({ path: n.isLeaf ? n.path : `${n.path}.`, name: n.name, is_leaf: n.isLeaf ? "1" : "0" }));
  if (metrics.length > 1 && wildcards) metrics.push({ name: "*" });
  return { metrics };
}

/**
 * The query graphite-web matches for `format=completer`: `..` becomes `*.`,
 * a trailing `*` is added, and with `automatic_variants` a node holding
 * commas and no brace becomes `{...}`.
 */
export function completerQuery(query: string, automaticVariants: boolean): string {
  let q = query.replaceAll("..", "*.");
  if (!q.endsWith("*")) q += "*";
  if (automaticVariants) q = q.split(".").map((part) => (part.includes(",") && !part.includes("{") ? `{${part}}` : part)).join(".");
  return q;
}

export interface JsonEntry {
  path: string;
  is_leaf: boolean;
  intervals?: Array<{ start: number; end: number }>;
}

/** `format=json`: every node sorted by path (stable), leaves with the intervals they hold. */
export function jsonNodes(nodes: readonly GraphiteNode[], intervalsOf: (path: string) => Array<{ start: number; end: number }>): JsonEntry[] {
  const out: JsonEntry[] = nodes.map((n) => (n.isLeaf ? { path: n.path, is_leaf: true, intervals: intervalsOf(n.path) } : { path: n.path, is_leaf: false }));
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** `format=nodelist`: the distinct nodes at `position` (Python indexing: -1 is the last) of the matched paths, sorted. */
export function nodeList(nodes: readonly GraphiteNode[], position: number): { nodes: string[] } {
  const found = new Set<string>();
  for (const n of nodes) {
    const parts = n.path.split(".");
    const i = position < 0 ? parts.length + position : position;
    if (i < 0 || i >= parts.length) throw badParameter("position", `${position} is outside the path ${JSON.stringify(n.path)}`);
    found.add(parts[i]);
  }
  return { nodes: [...found].sort() };
}
