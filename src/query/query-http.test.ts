/**
 * The query server's HTTP layer against hostile or careless clients:
 * parameter counts, write checks before any body, POST-only /insert and
 * Origin, whose address a log names, /list paging, and the socket bounds
 * of torus's port and karbon's metrics port over real sockets.
 */
import fc from "fast-check";
import { connect, type Socket } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTorusServer, type TorusServer } from "../server/torus-server.js";
import { compileConfig } from "../config/index.js";
import { karbonServer, type KarbonServer } from "../server/karbon-server.js";
import { LIST_PAGE_BYTES } from "./series-api/list-command.js";
import { NOW, fixture, fixtureExports, type Fixture } from "./query-fixture.case.js";

const form = { "content-type": "application/x-www-form-urlencoded" };

describe("MAX_PARAMS", () => {
  let f: Fixture;
  beforeAll(async () => (f = await fixture({ MAX_PARAMS: 20 })));
  afterAll(() => f.close());

  const many = (n: number) => Array.from({ length: n }, (_, i) => `p${i}=`).join("&");

  it.each([
    ["a query string", (n: number) => f.app.inject({ method: "GET", url: `/list?${many(n)}` }), "query string"],
    ["a form body", (n: number) => f.app.inject({ method: "POST", url: "/insert", headers: form, payload: `stat=c.a&value=1&${many(n - 2)}` }), "body"],
    ["a JSON body", (n: number) => f.app.inject({ method: "POST", url: "/insert", payload: { stat: "c.a", value: 1, x: Array.from({ length: n - 2 }, () => "v") } }), "body"],
  ])("%s of MAX_PARAMS parameters is served, one more is a 400 naming the bound", async (_label, send, where) => {
    expect((await send(20)).statusCode).toBe(200);
    const res = await send(21);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ code: "TORUS_ERR_QUERY_TOO_MANY_PARAMETERS", error: `the ${where} has 21 parameters, more than the configured maximum of 20 (MAX_PARAMS)` });
  });

  it("the default is 1,000", async () => {
    const g = await fixture();
    try {
      expect((await g.app.inject({ method: "GET", url: `/list?${many(1000)}` })).statusCode).toBe(200);
      expect((await g.app.inject({ method: "GET", url: `/list?${many(1001)}` })).statusCode).toBe(400);
    } finally {
      await g.close();
    }
  });
});

describe("/insert is POST-only, and write endpoints refuse other origins", () => {
  let f: Fixture;
  beforeAll(async () => (f = await fixture()));
  afterAll(() => f.close());

  it("GET /insert is a 405 with Allow: POST, and stores nothing", async () => {
    const res = await f.app.inject({ method: "GET", url: `/insert?stat=c.get&value=1&timestamp=${NOW}` });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe("POST");
    expect(JSON.parse(res.body).code).toBe("TORUS_ERR_QUERY_METHOD_NOT_ALLOWED");
    expect(JSON.parse(res.body).error).toMatch(/POST-only.*ALLOW_GET_INSERT/);
    expect((await f.get("/list")).body).not.toContain("c.get");
  });

  it("ALLOW_GET_INSERT: true serves GET /insert for old clients", async () => {
    const g = await fixture({ ALLOW_GET_INSERT: true });
    try {
      const res = await g.get(`/insert?stat=c.get&value=2&timestamp=${NOW}`);
      expect(res.status).toBe(200);
      expect((await g.get("/list")).body).toContain("c.get");
    } finally {
      await g.close();
    }
  });

  const host = "localhost:8080";
  it.each([
    ["another site", "http://evil.example", 403],
    ["another port of the same host", "http://localhost:9999", 403],
    ["a sandboxed page", "null", 403],
    ["this server's own pages", "http://localhost:8080", 200],
    ["no Origin (curl, scripts)", undefined, 200],
  ])("a write from %s (Origin %s) → %s", async (_label, origin, status) => {
    const headers: Record<string, string> = { host, ...(origin === undefined ? {} : { origin }) };
    const stat = `c.origin${status}${origin === undefined ? "none" : origin.length}`;
    const ins = await f.app.inject({ method: "POST", url: `/insert?stat=${stat}&value=1&timestamp=${NOW}`, headers });
    expect(ins.statusCode).toBe(status);
    const del = await f.app.inject({ method: "DELETE", url: `/series?stat=${stat}`, headers });
    expect(del.statusCode).toBe(status);
    if (status === 403) {
      expect(JSON.parse(ins.body)).toMatchObject({ code: "TORUS_ERR_QUERY_FORBIDDEN_ORIGIN" });
      expect(JSON.parse(ins.body).error).toMatch(/ALLOWED_ORIGINS/);
      expect((await f.get("/list")).body).not.toContain(stat);
    }
  });

  it("reads from other origins are served (they change nothing)", async () => {
    expect((await f.app.inject({ method: "GET", url: "/list", headers: { host, origin: "http://evil.example" } })).statusCode).toBe(200);
  });

  it("ALLOWED_ORIGINS lets listed origins write (or any, with *)", async () => {
    const g = await fixture({ ALLOWED_ORIGINS: ["https://grafana.example.com"] });
    const h = await fixture({ ALLOWED_ORIGINS: ["*"] });
    try {
      const send = (x: Fixture, origin: string) => x.app.inject({ method: "POST", url: `/insert?stat=c.o&value=1&timestamp=${NOW}`, headers: { host, origin } });
      expect((await send(g, "https://grafana.example.com")).statusCode).toBe(200);
      expect((await send(g, "https://GRAFANA.example.com")).statusCode).toBe(200);
      expect((await send(g, "https://grafana.example.com:8443")).statusCode).toBe(403);
      expect((await send(h, "http://anything.example")).statusCode).toBe(200);
    } finally {
      await g.close();
      await h.close();
    }
  });
});

describe("TRUST_PROXY: whose address a log line names", () => {
  const forged = "203.0.113.9, 198.51.100.1";
  it.each([
    ["off (default): the peer, whatever the header says", undefined, "10.0.0.1", forged, "10.0.0.1"],
    ["true: the header's first hop", true, "10.0.0.1", forged, "203.0.113.9"],
    ["true, no header: the peer", true, "10.0.0.1", undefined, "10.0.0.1"],
    ["a proxy list, from the proxy: the last hop before it", ["10.0.0.1"], "10.0.0.1", forged, "198.51.100.1"],
    ["a proxy list, chained proxies are skipped", ["10.0.0.1", "10.0.0.2"], "10.0.0.1", "203.0.113.9, 10.0.0.2", "203.0.113.9"],
    ["a proxy list, an IPv4-mapped peer", ["10.0.0.1"], "::ffff:10.0.0.1", "203.0.113.9", "203.0.113.9"],
    ["a proxy list, from anyone else: the peer", ["10.0.0.1"], "192.0.2.50", forged, "192.0.2.50"],
  ])("%s", async (_label, trust, peer, xff, client) => {
    const f = await fixture(trust === undefined ? {} : { TRUST_PROXY: trust });
    try {
      await f.app.inject({ method: "GET", url: "/list?who", remoteAddress: peer, headers: xff ? { "x-forwarded-for": xff } : {} });
      expect(f.logs.find((l) => l.msg === "request" && l.url === "/list?who")).toMatchObject({ client });
    } finally {
      await f.close();
    }
  });
});

describe("/list paging", () => {
  let f: Fixture;
  const names = Array.from({ length: 25 }, (_, i) => `c.page.${String(i).padStart(3, "0")}`);
  beforeAll(async () => {
    f = await fixture({ LIST_LIMIT: 30 });
    await f.send([...names, "c.other", "c.pagex"].map((n) => [n, 1, NOW]));
  });
  afterAll(() => f.close());

  it("prefix filters, and the answer stays the plain array while it is complete", async () => {
    expect((await f.get("/list?prefix=c.page.")).body).toEqual(names);
    expect((await f.get("/list?prefix=zzz")).body).toEqual([]);
  });

  it("limit and after page through in order, next null on the last page", async () => {
    const p1 = (await f.get("/list?prefix=c.page.&limit=10")).body;
    expect(p1).toEqual({ names: names.slice(0, 10), next: names[9] });
    const p3 = (await f.get(`/list?prefix=c.page.&limit=10&after=${names[19]}`)).body;
    expect(p3).toEqual({ names: names.slice(20), next: null });
    // `after` need not be a stored name.
    expect((await f.get("/list?prefix=c.page.&after=c.page.0105&limit=2")).body).toEqual({ names: names.slice(11, 13), next: names[12] });
  });

  it("any page size walks the whole list exactly once", async () => {
    const all = (await f.get("/list")).body as string[];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 30 }), async (limit) => {
        const seen: string[] = [];
        let after = "";
        for (let page = 0; page < 100; page++) {
          const { body } = await f.get(`/list?limit=${limit}&after=${encodeURIComponent(after)}`);
          expect(body.names.length).toBeLessThanOrEqual(limit);
          seen.push(...body.names);
          if (body.next === null) break;
          after = body.next;
        }
        expect(seen).toEqual(all);
      }),
      { numRuns: 15 },
    );
  });

  it("a page also ends before 4 MB of names, whatever the limit", async () => {
    const g = await fixture();
    try {
      // Names just under the 2,048-byte limit every store holds.
      const long = Array.from({ length: 2500 }, (_, i) => `c.long.${String(i).padStart(4, "0")}.${"x".repeat(2000)}`);
      for (const n of long) g.karbon.current.process(n, "1", NOW);
      expect(await g.karbon.flush()).toBe(true);
      const first = await g.get("/list?prefix=c.long.");
      const perName = long[0].length + 3;
      const fit = Math.floor(LIST_PAGE_BYTES / perName);
      expect(first.body.names).toEqual(long.slice(0, fit));
      expect(first.body.next).toBe(long[fit - 1]);
      expect(first.text.length).toBeLessThan(LIST_PAGE_BYTES + perName + 100); // the names, and `next` repeating the last
      const second = await g.get(`/list?prefix=c.long.&after=${first.body.next}`);
      expect(second.body).toEqual({ names: long.slice(fit), next: null });
    } finally {
      await g.close();
    }
  });

  it("past LIST_LIMIT the plain /list becomes a page; limit above it or not a number is a 400", async () => {
    const g = await fixture({ LIST_LIMIT: 10 });
    try {
      await g.send(names.map((n) => [n, 1, NOW]));
      const res = await g.get("/list");
      expect(res.body).toEqual({ names: names.slice(0, 10), next: names[9] });
      const over = await g.get("/list?limit=11");
      expect(over.status).toBe(400);
      expect(over.body.error).toBe("limit: 11 names is more than the configured maximum of 10 (LIST_LIMIT)");
      for (const bad of ["0", "-1", "ten", "2.5"]) {
        const r = await g.get(`/list?limit=${bad}`);
        expect(r.status).toBe(400);
        expect(r.body.error).toMatch(/^limit: expected a positive whole number/);
      }
    } finally {
      await g.close();
    }
  });
});

// ---- over real sockets ----

interface RawReply {
  /** Everything the server sent before closing (or until `ms`). */
  text: string;
  /** Whether the server closed the connection. */
  closed: boolean;
  ms: number;
}

/**
 * Send `head` on a fresh connection, then one more byte every `dripMs` if
 * given (a slow client that is never silent), and collect what comes back
 * until the server closes or `ms` pass.
 */
function raw(port: number, head: string, ms: number, dripMs = 0): Promise<RawReply & { socket: Socket }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let done = false;
    let drip: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(drip);
      resolve({ text, closed, ms: Date.now() - t0, socket });
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on("data", (d) => (text += d.toString("latin1")));
    socket.on("error", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("connect", () => {
      if (head) socket.write(head);
      if (dripMs > 0) drip = setInterval(() => socket.writable && socket.write("a"), dripMs);
    });
  });
}

/** A connection that stays open, sending nothing. */
function hold(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.on("error", reject);
  });
}

const logger = pino({ level: "silent" });

describe("socket bounds of torus's HTTP port", () => {
  let server: TorusServer;
  let port: number;
  beforeAll(async () => {
    const config = compileConfig(fixtureExports({ HTTP_REQUEST_TIMEOUT: 1, HTTP_MAX_CONNECTIONS: 4, WRITE_TOKEN: "s3cret", MAX_PARAMS: 1_000_000 }));
    server = await startTorusServer({ configFiles: [], config, http: { host: "127.0.0.1", port: 0 }, logger });
    port = server.http.port;
  });
  afterAll(() => server.stop());
  const base = () => `http://127.0.0.1:${port}`;
  const auth = { authorization: "Bearer s3cret" };

  it("a write without the token is refused on its headers: 401 and closed, the announced megabyte never read", async () => {
    const head = `POST /insert HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\nstat=c.a&`;
    const res = await raw(port, head, 3_000);
    res.socket.destroy();
    expect(res.text).toMatch(/^HTTP\/1\.1 401 /);
    expect(res.text.toLowerCase()).toContain("connection: close");
    expect(res.closed).toBe(true);
    expect(res.ms).toBeLessThan(900); // well before HTTP_REQUEST_TIMEOUT would have cut it
  });

  it("a client sending its body one byte at a time is cut off after HTTP_REQUEST_TIMEOUT, and others are served meanwhile", async () => {
    const head = `POST /insert HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ns`;
    const slow = raw(port, head, 5_000, 200);
    const meanwhile = await fetch(`${base()}/list`, { signal: AbortSignal.timeout(2_000) });
    expect(meanwhile.status).toBe(200);
    const res = await slow;
    res.socket.destroy();
    expect(res.closed).toBe(true);
    expect(res.ms).toBeGreaterThanOrEqual(900);
    expect(res.ms).toBeLessThan(3_000);
    expect(res.text).toMatch(/^HTTP\/1\.1 408 |^$/);
  });

  it("connections past HTTP_MAX_CONNECTIONS are closed on arrival; open ones keep working, and the drops are counted", async () => {
    // A server of its own: fetch's pooled keep-alive connections to the shared one would count against the cap.
    const config = compileConfig(fixtureExports({ HTTP_MAX_CONNECTIONS: 4 }));
    const own = await startTorusServer({ configFiles: [], config, http: { host: "127.0.0.1", port: 0 }, logger });
    const p = own.http.port;
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 4; i++) held.push(await hold(p));
      await new Promise((r) => setTimeout(r, 100)); // the server has accepted all four
      const over = await raw(p, "GET /list HTTP/1.1\r\nHost: x\r\n\r\n", 2_000);
      expect(over.closed).toBe(true);
      expect(over.text).toBe("");
      // A connection already open is served, and reports the drop.
      const reply = await new Promise<string>((resolve, reject) => {
        let text = "";
        const timer = setTimeout(() => reject(new Error(`no /metrics reply; got ${JSON.stringify(text.slice(0, 200))}`)), 3_000);
        held[3].on("data", (d) => {
          text += d.toString();
          if (/torus_http_connections_dropped_total \d+/.test(text)) {
            clearTimeout(timer);
            resolve(text);
          }
        });
        held[3].write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
      });
      expect(reply).toMatch(/^HTTP\/1\.1 200 /);
      expect(Number(/torus_http_connections_dropped_total (\d+)/.exec(reply)![1])).toBe(1);
      // Room again once one closes.
      held.pop()!.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const again = await raw(p, "GET /list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 2_000);
      expect(again.text).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      for (const s of held) s.destroy();
      await own.stop();
    }
  });

  it("a 900 KB form of one repeated key is parsed in one pass while another request is served", async () => {
    // A real server on the real clock: the fixture's NOW would be past MAX_FUTURE.
    const body = `stat=c.bulk&value=1&timestamp=${Math.floor(Date.now() / 1000)}&` + "a=&".repeat(300_000);
    const [ins, list] = await Promise.all([
      fetch(`${base()}/insert`, { method: "POST", headers: { ...auth, ...form }, body, signal: AbortSignal.timeout(10_000) }),
      fetch(`${base()}/list`, { signal: AbortSignal.timeout(10_000) }),
    ]);
    expect(ins.status).toBe(200);
    expect(await ins.json()).toMatchObject({ stat: "c.bulk", stored: 4 });
    expect(list.status).toBe(200);
    expect(await (await fetch(`${base()}/list?prefix=c.bulk`)).json()).toEqual(["c.bulk"]);
  });
});

describe("socket bounds of karbon's metrics port", () => {
  let karbon: KarbonServer;
  let port: number;
  beforeAll(async () => {
    const config = compileConfig(fixtureExports({ HTTP_REQUEST_TIMEOUT: 1, HTTP_MAX_CONNECTIONS: 2 }));
    karbon = karbonServer({ configFiles: [], config, logger, metrics: { host: "127.0.0.1", port: 0 } });
    port = (await karbon.start()).metrics!.port;
  });
  afterAll(() => karbon.stop());

  it("a request whose headers never finish is cut off after HTTP_REQUEST_TIMEOUT", async () => {
    const res = await raw(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n", 5_000);
    res.socket.destroy();
    expect(res.closed).toBe(true);
    expect(res.ms).toBeGreaterThanOrEqual(900);
    expect(res.ms).toBeLessThan(3_000);
  });

  it("connections past HTTP_MAX_CONNECTIONS are closed on arrival", async () => {
    const held = await Promise.all([hold(port), hold(port)]);
    try {
      const over = await raw(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 2_000);
      expect(over.closed).toBe(true);
      expect(over.text).toBe("");
    } finally {
      for (const s of held) s.destroy();
    }
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) })).status).toBe(200);
  });
});
