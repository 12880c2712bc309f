/** `torus query`'s failures carry catalogue codes: the server's own when it answered with one. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, type Fixture } from "../query/query-fixture.case.js";
import { TorusError } from "../timeseries/errors.js";
import { fetchSeries } from "./query-tool.js";

describe("fetchSeries errors", () => {
  let f: Fixture;
  let url: string;
  beforeAll(async () => {
    f = await fixture();
    await f.app.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => f.close());

  it("passes on the server's code and message", async () => {
    const err = await fetchSeries({ url, stats: ["nosuch(c.a)"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TorusError);
    expect(err).toMatchObject({ code: "TORUS_ERR_QUERY_UNKNOWN_FUNCTION", message: expect.stringMatching(/^400: stat: unknown function "nosuch"/) });
  });

  it("names a server that is not there", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await fetchSeries({ url: `http://127.0.0.1:${port}`, stats: ["c.a"] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "TORUS_ERR_CLIENT_UNREACHABLE", message: expect.stringContaining("connection refused") });
  });

  it("tells an answer that is not Torus's", async () => {
    const other = createServer((_req, res) => res.writeHead(502, { "content-type": "text/html" }).end("<html>bad gateway</html>"));
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    try {
      const err = await fetchSeries({ url: `http://127.0.0.1:${(other.address() as AddressInfo).port}`, stats: ["c.a"] }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "TORUS_ERR_CLIENT_BAD_ANSWER", message: expect.stringContaining("answered 502 with something other than JSON") });
    } finally {
      await new Promise((r) => other.close(r));
    }
  });
});
