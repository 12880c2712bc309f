/**
 * A relay schema (`carbon://`) forwards its points and keeps none: `/insert`
 * reaches the Carbon receiver, and reading the schema is a 400 naming it,
 * while listings over every schema leave it out.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeCarbon, until } from "../timeseries/backends/carbon/fake-carbon.case.js";
import { NOW, fixture, type Fixture } from "./query-fixture.case.js";

let carbon: FakeCarbon;
let f: Fixture;
let url: string;

beforeAll(async () => {
  carbon = new FakeCarbon("plaintext");
  const port = await carbon.start();
  url = `carbon://127.0.0.1:${port}`;
  const intervals = { raw: { step: 1, steps: 3600 } };
  f = await fixture({
    SCHEMAS: {
      kept: { type: "series", match: "^s\\.", intervals },
      relayed: { type: "series", match: "^r\\.", host: url, client_config: { confirm_ms: 20 }, intervals },
    },
    AGGREGATES: [],
    MACROS: {},
  });
  await f.send([["s.a", 1, NOW], ["r.x", 5, NOW], ["r.x", 6, NOW + 1]]);
});

afterAll(async () => {
  await f?.close();
  await carbon?.stop();
});

describe("a relay schema", () => {
  it("forwards what /insert takes to the Carbon receiver, and counts it on karbon's /metrics", async () => {
    await until(() => carbon.lines.length === 2, 15_000, "2 lines");
    expect(carbon.lines).toEqual([`r.x 5 ${NOW}`, `r.x 6 ${NOW + 1}`]);
    const escaped = url.replace(/[.]/g, "\\.");
    const text = async () => f.karbon.metrics.registry.metrics();
    const end = Date.now() + 15_000;
    while (!new RegExp(`karbon_relay_points_sent_total\\{store="${escaped}"\\} 2`).test(await text()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const metrics = await text();
    expect(metrics).toMatch(new RegExp(`karbon_relay_points_sent_total\\{store="${escaped}"\\} 2\\n`));
    expect(metrics).toMatch(new RegExp(`karbon_relay_points_queued\\{store="${escaped}"\\} 0\\n`));
    expect(metrics).toMatch(new RegExp(`karbon_relay_connected\\{store="${escaped}"\\} 1\\n`));
  });

  it("/series of it answers 400 naming the schema and its store", async () => {
    const res = await f.get("/series?stat=r.x");
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("TORUS_ERR_RELAY_READ");
    expect(res.body.error).toBe(`schema "relayed" relays to Carbon (${url}): its points are forwarded, not kept, so they cannot be read here (read them from the Carbon host)`);
  });

  it("/properties of it and /list?schema= of it answer the same 400; DELETE too, deleting nothing", async () => {
    for (const path of ["/properties?stat=r.x", "/list?schema=relayed"]) {
      const res = await f.get(path);
      expect(res.status, path).toBe(400);
      expect(res.body.code).toBe("TORUS_ERR_RELAY_READ");
      expect(res.body.error).toMatch(/^schema "relayed" relays to Carbon/);
    }
    const del = await f.app.inject({ method: "DELETE", url: "/series?stat=r.x" });
    expect(del.statusCode).toBe(400);
    expect(JSON.parse(del.body).code).toBe("TORUS_ERR_RELAY_READ");
  });

  it("a listing of every schema leaves it out; the other schemas read as before", async () => {
    const list = await f.get("/list");
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).toContain("s.a");
    expect(JSON.stringify(list.body)).not.toContain("r.x");
    const kept = await f.get(`/series?stat=s.a&start=${NOW}&end=${NOW}`);
    expect(kept.status).toBe(200);
  });
});
