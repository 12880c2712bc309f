/**
 * The web explorer's files: the page at `/` names hashed assets, is
 * revalidated (no-cache, ETag) and compressed as the client asks; the
 * assets are immutable; URL_PREFIX moves all of it, and the page's base.
 */
import { gunzipSync, brotliDecompressSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NameIndex } from "../../graphite/name-index.js";
import type { NameSource } from "../graphite-api/graphite-data.js";
import { fixture, type Fixture } from "../query-fixture.case.js";
import { FIRST_LEVEL_MAX, escapeHtml } from "./first-level.js";
import { pickEncoding } from "./web-ui.js";

/** Names the test sets, behind the Graphite API (a NameSource over one index, listed at once). */
let index = new NameIndex();
const names: NameSource = { index: () => index, ready: async () => undefined, close: async () => undefined };
const MARKUP = ['<script>pwned=1</script>', `"'<img/src=x/onerror=pwned=2>`];

let f: Fixture;
let prefixed: Fixture;
beforeAll(async () => {
  index.add(["app.web1.latency", "app.web2.latency", "db", "db.rows", "zeta", ...MARKUP.map((m, i) => (i === 0 ? m : `${m}.leaf`))]);
  f = await fixture({}, () => ({ names }));
  prefixed = await fixture({ URL_PREFIX: "/graphite" });
});
afterAll(async () => {
  await f.close();
  await prefixed.close();
});

/** The tree's rows in the page: [data-path, kind, text] each, read back from the HTML. */
function servedRows(html: string): Array<[string, string, string]> {
  const tree = /<ul id="tree" role="tree">(.*?)<\/ul>/s.exec(html)![1];
  return [...tree.matchAll(/<li role="treeitem" data-path="([^"]*)" (data-leaf="1"|aria-expanded="false")><span tabindex="-1">([^<]*)<\/span><\/li>/g)].map((m) => [m[1], m[2].startsWith("data-leaf") ? "leaf" : "branch", m[3]]);
}

describe("GET /", () => {
  it("serves the page with its style in it, no-cache with an ETag, naming hashed assets that are immutable and compressed", async () => {
    const res = await f.app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(res.body).toContain('<base href="/">');
    const script = /<script type="module" src="assets\/(app-[0-9A-Z]{8}\.js)"/.exec(res.body)![1];
    // The style is in the page (its first paint waits for no other file).
    expect(/<style>([^<]*)<\/style>/.exec(res.body)![1]).toContain("prefers-color-scheme");
    expect(res.body).not.toContain('rel="stylesheet"');

    const again = await f.app.inject({ method: "GET", url: "/", headers: { "if-none-match": res.headers.etag as string } });
    expect(again.statusCode).toBe(304);

    const plain = await f.app.inject({ method: "GET", url: `/assets/${script}` });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(plain.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    const gz = await f.app.inject({ method: "GET", url: `/assets/${script}`, headers: { "accept-encoding": "gzip, deflate" } });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.rawPayload).equals(plain.rawPayload)).toBe(true);
    // The page's script with the chunks it loads (uPlot's, when a chart is drawn), gzipped, stays well inside its budget (150 KB).
    const chunks = [...new Set(plain.body.match(/chunk-[0-9A-Z]{8}\.js/g))];
    expect(chunks.length).toBeGreaterThan(0);
    let total = gz.rawPayload.length;
    for (const c of chunks) {
      const res = await f.app.inject({ method: "GET", url: `/assets/${c}`, headers: { "accept-encoding": "gzip" } });
      expect(res.statusCode).toBe(200);
      total += res.rawPayload.length;
    }
    expect(total).toBeLessThan(150 * 1024);
    const br = await f.app.inject({ method: "GET", url: "/", headers: { "accept-encoding": "gzip, br" } });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(res.body);
    const brScript = await f.app.inject({ method: "GET", url: `/assets/${script}`, headers: { "accept-encoding": "gzip, br" } });
    expect(brScript.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(brScript.rawPayload).equals(plain.rawPayload)).toBe(true);
  });

  it("writes the tree's first level into the page, as /metrics/find answers it, every name escaped", async () => {
    const res = await f.app.inject({ method: "GET", url: "/" });
    const find = await f.get("/metrics/find?query=*&format=treejson");
    const rows = servedRows(res.body);
    // Every row, nothing else: the tree holds exactly the rows the pattern reads.
    expect(/<ul id="tree" role="tree">(.*?)<\/ul>/s.exec(res.body)![1].match(/<li /g)).toHaveLength(rows.length);
    expect(rows).toEqual(find.body.map((e: { id: string; text: string; leaf: number }) => [escapeHtml(e.id), e.leaf ? "leaf" : "branch", escapeHtml(e.text)]));
    expect(rows.map((r) => r[0])).toEqual(expect.arrayContaining(["app", "db", "zeta", escapeHtml(MARKUP[0]), escapeHtml(MARKUP[1])]));
    // A name with markup or quotes is text: no tag, no attribute of it reaches the page.
    expect(res.body).not.toContain("<script>pwned");
    expect(res.body).not.toContain("<img");
    expect(res.body).toContain("&lt;script&gt;pwned=1&lt;/script&gt;");
    expect(res.body).toContain("&quot;&#39;&lt;img/src=x/onerror=pwned=2&gt;");
    // No preload of what is already in the page.
    expect(res.body).not.toContain('rel="preload"');
  });

  it("changes the page's ETag when the first level changes, and keeps it while it does not", async () => {
    const first = await f.app.inject({ method: "GET", url: "/" });
    const etag = first.headers.etag as string;
    index.add(["app.web3.latency"]); // below the first level: the same page
    const same = await f.app.inject({ method: "GET", url: "/", headers: { "if-none-match": etag } });
    expect(same.statusCode).toBe(304);
    index.add(["newcomer.x"]);
    const changed = await f.app.inject({ method: "GET", url: "/", headers: { "if-none-match": etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(servedRows(changed.body).map((r) => r[0])).toContain("newcomer");
    const gz = await f.app.inject({ method: "GET", url: "/", headers: { "accept-encoding": "gzip" } });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.rawPayload).toString()).toBe(changed.body);
  });

  it("leaves a first level larger than FIRST_LEVEL_MAX to the page's own request (preloaded)", async () => {
    const saved = index;
    index = new NameIndex();
    index.add(Array.from({ length: FIRST_LEVEL_MAX + 1 }, (_, n) => `top${n}`));
    try {
      const res = await f.app.inject({ method: "GET", url: "/" });
      expect(servedRows(res.body)).toEqual([]);
      expect(res.body).toContain('<ul id="tree" role="tree"></ul>');
      expect(res.body).toContain('<link rel="preload" href="metrics/find?query=*&amp;format=treejson" as="fetch" crossorigin>');
    } finally {
      index = saved;
    }
  });

  it("answers an unknown asset with a JSON 404", async () => {
    const { status, body } = await f.get("/assets/app-000000000000.js");
    expect(status).toBe(404);
    expect(body.code).toBe("TORUS_ERR_QUERY_UNKNOWN_COMMAND");
  });

  it("moves under URL_PREFIX, with the page's base there and a redirect from the bare prefix", async () => {
    const res = await prefixed.app.inject({ method: "GET", url: "/graphite/" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<base href="/graphite/">');
    const bare = await prefixed.app.inject({ method: "GET", url: "/graphite?target=a" });
    expect(bare.statusCode).toBe(301);
    expect(bare.headers.location).toBe("/graphite/?target=a");
    expect((await prefixed.app.inject({ method: "GET", url: "/" })).statusCode).toBe(404);
  });
});

describe("escapeHtml", () => {
  const unescape = (t: string) => t.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]!);
  it("leaves no character that could end a text run or an attribute, and loses nothing", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("<", ">", "&", '"', "'", "a", "/", "=", ";", "#", " ", "é") }), (name) => {
        const out = escapeHtml(name);
        expect(out).not.toMatch(/[<>"']/);
        expect(unescape(out)).toBe(name);
      }),
    );
  });
});

describe("pickEncoding", () => {
  it("prefers br, then gzip, and honours q=0", () => {
    expect(pickEncoding("gzip, deflate, br")).toBe("br");
    expect(pickEncoding("br;q=0, gzip")).toBe("gzip");
    expect(pickEncoding("identity")).toBeNull();
    expect(pickEncoding(undefined)).toBeNull();
    expect(pickEncoding("*")).toBe("gzip");
  });
});
