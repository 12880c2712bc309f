import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NameIndex, type FindNode } from "./name-index.js";
import { PathPatternError, compilePathPattern } from "./path-glob.js";

/** The model: every prefix at the pattern's depth, filtered with the glob matcher, flags from the name set. */
function bruteForce(names: Iterable<string>, pattern: string): FindNode[] {
  const parts = pattern.split(".");
  if (parts.length < 2 || parts[parts.length - 1] !== "") return plainFind(names, pattern);
  // A trailing dot names each matched branch itself.
  return plainFind(names, parts.slice(0, -1).join("."))
    .filter((n) => n.branch)
    .map((n) => ({ path: `${n.path}.`, name: "", leaf: false, branch: true }))
    .sort((a, b) => nodewise(a.path, b.path));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const nodewise = (a: string, b: string) => {
  const [pa, pb] = [a.split("."), b.split(".")];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return cmp(pa[i], pb[i]);
  return pa.length - pb.length;
};

function plainFind(names: Iterable<string>, pattern: string): FindNode[] {
  const all = new Set(names);
  const depth = pattern.split(".").length;
  const matcher = compilePathPattern(pattern);
  const out = new Map<string, FindNode>();
  for (const name of all) {
    const parts = name.split(".");
    if (parts.length < depth) continue;
    const path = parts.slice(0, depth).join(".");
    if (out.has(path) || !matcher.test(path)) continue;
    const branch = [...all].some((n) => n.startsWith(`${path}.`));
    out.set(path, { path, name: parts[depth - 1], leaf: all.has(path), branch });
  }
  return [...out.values()].sort((a, b) => cmp(a.name, b.name) || nodewise(a.path, b.path));
}

const NAMES = [
  "servers.web1.cpu.user",
  "servers.web1.cpu.system",
  "servers.web2.cpu.user",
  "servers.web3.cpu.user",
  "servers.web3.disk.used",
  "test.a.cpu",
  "test.b.cpu",
  "test.a.cpu.extra", // test.a.cpu is both a leaf and a branch
  "app.latency",
];

describe("NameIndex.find", () => {
  const index = new NameIndex();
  index.add(NAMES);

  it.each<[string, Array<[string, "leaf" | "branch" | "both"]>]>([
    ["*", [["app", "branch"], ["servers", "branch"], ["test", "branch"]]],
    ["servers.*", [["servers.web1", "branch"], ["servers.web2", "branch"], ["servers.web3", "branch"]]],
    ["servers.w*1", [["servers.web1", "branch"]]],
    ["servers.web[12]", [["servers.web1", "branch"], ["servers.web2", "branch"]]],
    ["servers.web[!1]", [["servers.web2", "branch"], ["servers.web3", "branch"]]],
    ["servers.{web1,web3}.cpu.user", [["servers.web1.cpu.user", "leaf"], ["servers.web3.cpu.user", "leaf"]]],
    ["servers.*.cpu.*", [["servers.web1.cpu.system", "leaf"], ["servers.web1.cpu.user", "leaf"], ["servers.web2.cpu.user", "leaf"], ["servers.web3.cpu.user", "leaf"]]],
    ["test.?.cpu", [["test.a.cpu", "both"], ["test.b.cpu", "leaf"]]],
    ["test.a.*", [["test.a.cpu", "both"]]],
    ["app.latency", [["app.latency", "leaf"]]],
    ["app", [["app", "branch"]]],
    ["app.latency.x", []],
    ["nope.*", []],
    ["Servers.*", []], // case-sensitive
    ["servers.web\\1", [["servers.web1", "branch"]]], // backslashes are dropped
  ])("%j", (pattern, expected) => {
    const got = index.find(pattern);
    expect(got.truncated).toBe(false);
    expect(got.nodes.map((n) => [n.path, n.leaf && n.branch ? "both" : n.leaf ? "leaf" : "branch"])).toEqual(expected);
    expect(got.nodes).toEqual(bruteForce(NAMES, pattern));
  });

  it("answers a trailing dot with each matched branch itself, named \"\" (graphite-web's finder does)", () => {
    expect(index.find("servers.").nodes).toEqual([{ path: "servers.", name: "", leaf: false, branch: true }]);
    expect(index.find("servers.*.").nodes.map((n) => n.path)).toEqual(["servers.web1.", "servers.web2.", "servers.web3."]);
    expect(index.find("app.latency.").nodes).toEqual([]); // a leaf has no branch to name
    expect(index.find("nope.").nodes).toEqual([]);
  });

  it("sorts by name, as graphite-web, not by path", () => {
    const ix = new NameIndex();
    ix.add(["b.a", "a.b", "a.c", "c.a"]);
    expect(ix.find("*.*").nodes.map((n) => n.path)).toEqual(["b.a", "c.a", "a.b", "a.c"]);
  });

  it("stops at the limit and says so", () => {
    const ix = new NameIndex();
    ix.add(Array.from({ length: 1_000 }, (_, i) => `m.n${i}`));
    const r = ix.find("m.*", { limit: 100 });
    expect(r.truncated).toBe(true);
    expect(r.nodes.length).toBe(100);
    expect(ix.find("m.*", { limit: 1_000 }).truncated).toBe(false);
  });

  it("a name stored by several schemas counts once towards the limit", () => {
    const ix = new NameIndex();
    const names = Array.from({ length: 10 }, (_, i) => `m.n${i}`);
    ix.replace("minutely", names);
    ix.replace("hourly", [...names, "m.n9.deep"]);
    const exact = ix.find("m.*", { limit: 10 });
    expect(exact.truncated).toBe(false);
    expect(exact.nodes.map((n) => n.path)).toEqual([...names].sort());
    // The leaf of one schema is a branch in the other: one entry with both flags.
    expect(exact.nodes.find((n) => n.path === "m.n9")).toMatchObject({ leaf: true, branch: true });
    expect(ix.find("m.*", { limit: 9 })).toMatchObject({ truncated: true, nodes: { length: 9 } });
  });

  it("refuses a pattern whose braces explode", () => {
    expect(() => index.find(`a.${"{0,1,2,3,4,5,6,7,8,9}".repeat(5)}`)).toThrow(PathPatternError);
  });

  it("does not look at the children of unmatched nodes (a glob at one level scans that level only)", () => {
    const ix = new NameIndex();
    const names = [];
    for (let i = 0; i < 200; i++) for (let j = 0; j < 200; j++) names.push(`f.a${i}.b${j}`);
    ix.add(names);
    const t0 = performance.now();
    for (let k = 0; k < 200; k++) expect(ix.find("f.a7.*").nodes.length).toBe(200);
    // 200 finds of 200 children: a scan of all 40,000 names per find would take far longer
    expect(performance.now() - t0).toBeLessThan(1_000);
  });
});

describe("NameIndex updates", () => {
  it("adds names incrementally, reports what was new, and is findable at once", () => {
    const ix = new NameIndex();
    expect(ix.add(["a.b", "a.c"])).toBe(2);
    expect(ix.add(["a.b", "a.d"])).toBe(1);
    expect(ix.add(["a.b.x"])).toBe(1); // a.b becomes a branch too
    expect(ix.size()).toBe(4);
    expect(ix.find("a.*").nodes).toEqual([
      { path: "a.b", name: "b", leaf: true, branch: true },
      { path: "a.c", name: "c", leaf: true, branch: false },
      { path: "a.d", name: "d", leaf: true, branch: false },
    ]);
    expect(ix.add(["a"])).toBe(1); // a branch becomes a leaf too
    expect(ix.find("a").nodes).toEqual([{ path: "a", name: "a", leaf: true, branch: true }]);
    expect(ix.add(["a", "a.b.x"])).toBe(0);
  });

  it("replaces one schema without touching the others, and joins schemas in find", () => {
    const ix = new NameIndex();
    ix.replace("minutely", ["s.x", "s.y", "both.z"]);
    ix.replace("hourly", ["s.y.deep", "both.z"]);
    expect(ix.find("s.*").nodes).toEqual([
      { path: "s.x", name: "x", leaf: true, branch: false },
      { path: "s.y", name: "y", leaf: true, branch: true },
    ]);
    expect(ix.find("both.*").nodes).toEqual([{ path: "both.z", name: "z", leaf: true, branch: false }]);
    ix.replace("minutely", ["s.w"]);
    expect(ix.find("s.*").nodes.map((n) => n.path)).toEqual(["s.w", "s.y"]);
    expect(ix.find("both.*").nodes.map((n) => n.path)).toEqual(["both.z"]); // still in hourly
    expect(ix.size("minutely")).toBe(1);
    expect(ix.size("hourly")).toBe(2);
    ix.drop("hourly");
    expect(ix.find("both.*").nodes).toEqual([]);
    ix.compact();
    expect(ix.leaves()).toEqual(["s.w"]);
    expect(ix.schemas()).toEqual(["minutely"]);
  });

  it("leaves tagged names out of the tree unless told otherwise", () => {
    const ix = new NameIndex();
    expect(ix.add(["disk.used;dc=east", "disk.free"])).toBe(1);
    ix.replace("other", ["disk.x;a=b"]);
    expect(ix.find("disk.*").nodes.map((n) => n.path)).toEqual(["disk.free"]);
    expect(ix.tagged.size).toBe(2); // kept for seriesByTag instead
    ix.drop("other");
    expect(ix.tagged.size).toBe(1);
    const all = new NameIndex({ skipTagged: false });
    all.add(["disk.used;dc=east"]);
    expect(all.find("disk.*").nodes.map((n) => n.name)).toEqual(["used;dc=east"]);
  });

  it("refreshes asynchronously, answering from the old names until the swap", async () => {
    const ix = new NameIndex();
    ix.replace("s", ["old.a"]);
    const names = Array.from({ length: 50_000 }, (_, i) => `new.n${i}`);
    let seenDuring: string[] = [];
    const refresh = ix.replaceAsync("s", names);
    await new Promise<void>((resolve) => setImmediate(resolve));
    seenDuring = ix.find("*").nodes.map((n) => n.path);
    await refresh;
    expect(seenDuring).toEqual(["old"]);
    expect(ix.find("*").nodes.map((n) => n.path)).toEqual(["new"]);
    expect(ix.size("s")).toBe(50_000);
    async function* gen() {
      yield "g.x";
      yield "g.y;t=v";
    }
    await ix.replaceAsync("g", gen());
    expect(ix.find("g.*").nodes.map((n) => n.path)).toEqual(["g.x"]);
  });

  it("lists every leaf once, sorted", () => {
    const ix = new NameIndex();
    ix.add(["b.x", "a.y", "a"], "one");
    ix.add(["a.y", "c"], "two");
    expect(ix.leaves()).toEqual(["a", "a.y", "b.x", "c"]);
  });

  it("builds a flat level of many children without quadratic insertion", () => {
    const ix = new NameIndex();
    const names = Array.from({ length: 200_000 }, (_, i) => `flat.n${(i * 7919) % 200_000}`);
    const t0 = performance.now();
    ix.add(names);
    // Under a second here; quadratic insertion would take minutes, so the bound only allows for a busy machine.
    expect(performance.now() - t0).toBeLessThan(20_000);
    const expected = names.filter((n) => n.startsWith("flat.n1999")).map((n) => n.slice(5)).sort();
    expect(expected.length).toBe(111);
    expect(ix.find("flat.n1999*").nodes.map((n) => n.name)).toEqual(expected);
  });
});

describe("NameIndex properties", () => {
  // "a-b" against "a.b": node-by-node order differs from plain string order there.
  const node = fc.constantFrom("a", "b", "ab", "ba", "a1", "b2", "c", "x-y", "a-b", "");
  const name = fc.array(node, { minLength: 1, maxLength: 4 }).map((p) => p.join("."));
  const patternNode = fc.oneof(node, fc.constantFrom("*", "?", "a*", "*a", "[ab]", "[!a]*", "{a,b}", "{a,ab,x*}", "?2", "{,c}", "b?", "[a-b]1"));
  const pattern = fc.array(patternNode, { minLength: 1, maxLength: 4 }).map((p) => p.join("."));

  it("find equals a brute-force filter of all names with the glob matcher", () => {
    fc.assert(
      fc.property(fc.array(name, { maxLength: 40 }), fc.array(name, { maxLength: 10 }), fc.array(pattern, { minLength: 1, maxLength: 5 }), (first, more, patterns) => {
        const ix = new NameIndex();
        ix.add(first);
        ix.add(more); // a second batch exercises merging into sealed children
        for (const p of patterns) expect(ix.find(p).nodes).toEqual(bruteForce([...first, ...more], p));
      }),
      { numRuns: 1_000 },
    );
  });

  it("several schemas find like one schema holding the union", () => {
    fc.assert(
      fc.property(fc.array(name, { maxLength: 20 }), fc.array(name, { maxLength: 20 }), pattern, (a, b, p) => {
        const ix = new NameIndex();
        ix.replace("one", a);
        ix.replace("two", b);
        expect(ix.find(p).nodes).toEqual(bruteForce([...a, ...b], p));
        expect(ix.leaves()).toEqual([...new Set([...a, ...b])].sort());
      }),
      { numRuns: 500 },
    );
  });
});
