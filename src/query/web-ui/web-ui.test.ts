/**
 * The web explorer's files: the page at `/` names hashed assets, is
 * revalidated (no-cache, ETag) and compressed as the client asks; the
 * assets are immutable; URL_PREFIX moves all of it, and the page's base.
 */
import { gunzipSync, brotliDecompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, type Fixture } from "../query-fixture.case.js";
import { pickEncoding } from "./web-ui.js";

let f: Fixture;
let prefixed: Fixture;
beforeAll(async () => {
  f = await fixture();
  prefixed = await fixture({ URL_PREFIX: "/graphite" });
});
afterAll(async () => {
  await f.close();
  await prefixed.close();
});

describe("GET /", () => {
  it("serves the page, no-cache with an ETag, naming hashed assets that are immutable and compressed", async () => {
    const res = await f.app.inject({ method: "GET", url: "/" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(res.body).toContain('<base href="/">');
    const script = /<script type="module" src="assets\/(app-[0-9A-Z]{8}\.js)"/.exec(res.body)![1];
    const style = /href="assets\/(app-[0-9A-Z]{8}\.css)"/.exec(res.body)![1];

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
    const br = await f.app.inject({ method: "GET", url: `/assets/${style}`, headers: { "accept-encoding": "gzip, br" } });
    expect(br.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(br.rawPayload).toString()).toContain("prefers-color-scheme");
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

describe("pickEncoding", () => {
  it("prefers br, then gzip, and honours q=0", () => {
    expect(pickEncoding("gzip, deflate, br")).toBe("br");
    expect(pickEncoding("br;q=0, gzip")).toBe("gzip");
    expect(pickEncoding("identity")).toBeNull();
    expect(pickEncoding(undefined)).toBeNull();
    expect(pickEncoding("*")).toBe("gzip");
  });
});
