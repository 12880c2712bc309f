/**
 * The query server is composed of API plugins over shared hooks: each
 * route's requests are counted under the command they were counted under
 * when the routes lived in one file (HEAD, answered by Fastify for every
 * GET route, and unknown paths as "unknown"), and the 404 lists every API's
 * routes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NOW, fixture, type Fixture } from "./query-fixture.case.js";

let f: Fixture;
beforeAll(async () => (f = await fixture()));
afterAll(() => f.close());

const count = (text: string, command: string, status: number): number => {
  const m = new RegExp(`torus_requests_total\\{command="${command}",status="${status}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
};

describe("query plugins", () => {
  it("labels each route with its command, as before the split", async () => {
    const before = (await f.get("/metrics")).text;
    const requests: Array<[string, string, string, number]> = [
      ["GET", "/series?stat=c.a", "series", 200],
      ["GET", "/data?stat=c.a", "series", 200],
      ["GET", "/list", "list", 200],
      ["GET", "/properties?stat=c.a", "properties", 200],
      ["DELETE", "/series?stat=c.nothing", "delete", 200],
      ["POST", `/insert?stat=c.a&value=1&timestamp=${NOW}`, "insert", 200],
      ["GET", "/insert?stat=c.a&value=1", "insert", 405],
      ["HEAD", "/list", "unknown", 200],
      ["GET", "/nope", "unknown", 404],
    ];
    for (const [method, url, , status] of requests) {
      const res = await f.app.inject({ method: method as "GET", url });
      expect(res.statusCode, `${method} ${url}`).toBe(status);
    }
    const after = (await f.get("/metrics")).text;
    const expected = new Map<string, number>();
    for (const [, , command, status] of requests) expected.set(`${command} ${status}`, (expected.get(`${command} ${status}`) ?? 0) + 1);
    // The first /metrics request was answered after `before` was read.
    expected.set("metrics 200", 1);
    for (const [key, n] of expected) {
      const [command, status] = key.split(" ");
      expect(count(after, command, Number(status)) - count(before, command, Number(status)), key).toBe(n);
    }
  });

  it("answers an unknown path with a 404 listing every API's routes", async () => {
    const { status, body } = await f.get("/nope?target=a");
    expect(status).toBe(404);
    expect(body).toEqual({
      error: 'unknown command "GET /nope" (have /series, /list, /properties, /insert, /metrics, /render, /functions, /functions/<name>, /version, /tags[/…], /tags/{tagSeries,tagMultiSeries,delSeries}, /events[/…], /metrics/find, /metrics?query=, /metrics/expand, /metrics/index.json, /, /assets/<name>, /karbon/status)',
      code: "TORUS_ERR_QUERY_UNKNOWN_COMMAND",
    });
  });
});
