/**
 * A model of graphite-web 1.1.10's find view, written from its source
 * (metrics/views.py and the standard finder) and independent of torus's
 * index: every stored name is matched node by node with a glob turned into
 * a regular expression, and the answer is built the way the view builds it.
 */

/** Brace expansion, then fnmatch per node (reference §3.1). */
function globToRegExps(node: string): RegExp[] {
  const expand = (s: string): string[] => {
    const open = s.indexOf("{");
    if (open === -1) return [s];
    let depth = 0;
    for (let i = open; i < s.length; i++) {
      if (s[i] === "{") depth++;
      else if (s[i] === "}" && --depth === 0) {
        const inner = s.slice(open + 1, i);
        const parts: string[] = [];
        let d = 0;
        let start = 0;
        for (let j = 0; j < inner.length; j++) {
          if (inner[j] === "{") d++;
          else if (inner[j] === "}") d--;
          else if (inner[j] === "," && d === 0) {
            parts.push(inner.slice(start, j));
            start = j + 1;
          }
        }
        parts.push(inner.slice(start));
        return parts.flatMap((p) => expand(s.slice(0, open) + p + s.slice(i + 1)));
      }
    }
    return [s];
  };
  return expand(node).map((p) => {
    let re = "";
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === "*") re += ".*";
      else if (c === "?") re += ".";
      else if (c === "[") {
        const close = p.indexOf("]", i + 1);
        let set = p.slice(i + 1, close);
        if (set.startsWith("!")) set = `^${set.slice(1)}`;
        re += `[${set}]`;
        i = close;
      } else re += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
    return new RegExp(`^${re}$`);
  });
}

export interface ModelNode {
  path: string;
  name: string;
  isLeaf: boolean;
}

/** The finder's nodes for a query: for each matching path, its branch node first, then its leaf node; sorted by name (stable). */
export function findModel(all: readonly string[], query: string, leavesOnly = false): ModelNode[] {
  const names = all.filter((n) => !n.includes(";"));
  const pattern = query.split(".").map(globToRegExps);
  const depth = pattern.length;
  const paths = new Map<string, { leaf: boolean; branch: boolean }>();
  for (const name of names) {
    const parts = name.split(".");
    if (parts.length < depth) continue;
    const prefix = parts.slice(0, depth);
    if (!prefix.every((p, i) => pattern[i].some((re) => re.test(p)))) continue;
    const path = prefix.join(".");
    const seen = paths.get(path) ?? { leaf: false, branch: false };
    if (parts.length === depth) seen.leaf = true;
    else seen.branch = true;
    paths.set(path, seen);
  }
  const nodes: ModelNode[] = [];
  for (const path of [...paths.keys()].sort()) {
    const name = path.split(".").pop()!;
    const { leaf, branch } = paths.get(path)!;
    if (branch && !leavesOnly) nodes.push({ path, name, isLeaf: false });
    if (leaf) nodes.push({ path, name, isLeaf: true });
  }
  return nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function treeModel(all: readonly string[], query: string, opts: { wildcards?: boolean; leavesOnly?: boolean } = {}) {
  const nodes = findModel(all, query, opts.leavesOnly);
  const base = query.includes(".") ? query.slice(0, query.lastIndexOf(".") + 1) : "";
  const out: unknown[] = [];
  const branch = { allowChildren: 1, expandable: 1, leaf: 0 };
  const leaf = { allowChildren: 0, expandable: 0, leaf: 1 };
  if (nodes.length > 1 && opts.wildcards) out.push({ text: "*", id: `${base}*`, ...(nodes.some((n) => !n.isLeaf) ? branch : leaf) });
  const found = new Set<string>();
  const bs: unknown[] = [];
  const ls: unknown[] = [];
  for (const n of nodes) {
    if (found.has(n.name)) continue;
    found.add(n.name);
    const text = decodeURIComponent(n.name.replaceAll("+", " "));
    (n.isLeaf ? ls : bs).push({ text, id: base + n.name, ...(n.isLeaf ? leaf : branch) });
  }
  return [...out, ...bs, ...ls];
}

