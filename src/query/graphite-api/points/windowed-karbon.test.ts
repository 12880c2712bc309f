/**
 * The window against a real karbon: karbon (its own runtime host and store
 * clients) ingests plaintext lines over TCP into a SQLite file while the
 * query side reads the same file through the window, and every read is
 * compared with a direct read after every flush.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileConfig } from "../../../config/index.js";
import { karbonServer, type KarbonServer } from "../../../server/karbon-server.js";
import { buildRuntime, type Runtime } from "../../../runtime/runtime.js";
import { StoreRegistry, TYPE_NAMES, type TypeName } from "../../../timeseries/index.js";
import { prng } from "../../../timeseries/testing/conformance.js";
import type { PointRead } from "../graphite-data.js";
import { DirectPointSource } from "./direct-point-source.js";
import { pointExports, schemaOf } from "./point-fixture.case.js";
import { WindowedPointSource } from "./windowed-point-source.js";

const INTERVALS = { minute: { step: 60, steps: 600 }, hour: { step: "1h", resolution: 60, steps: 24 } };

function sendTcp(port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port }, () => s.end(text));
    s.on("error", reject);
    s.on("close", () => resolve());
  });
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("WindowedPointSource while a real karbon ingests into the same SQLite file", () => {
  let dir: string;
  let karbon: KarbonServer;
  let port: number;
  let reader: Runtime;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "torus-window-karbon-"));
    const exportsOf = pointExports(`sqlite:///${join(dir, "k.db")}`, "karbon", INTERVALS);
    karbon = karbonServer({ configFiles: [], config: compileConfig(exportsOf), logger: pino({ level: "silent" }), listeners: [{ name: "tcp", protocol: "plaintext", transport: "tcp", address: { host: "127.0.0.1", port: 0 } }] });
    port = (await karbon.start()).tcp!.port;
    // The reader's own clients: another connection to the file, as torus is another process.
    reader = await buildRuntime(compileConfig(exportsOf), new StoreRegistry());
  });
  afterAll(async () => {
    await karbon.stop();
    for (const s of new Set(reader.schemas.map((x) => x.store))) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("every type, lines now and hours late, compared after every flush", async () => {
    const now = Math.floor(Date.now() / 1000);
    const rnd = prng(99);
    const direct = new DirectPointSource();
    const window = new WindowedPointSource({ maxBytes: 64 << 20 });
    const reads = (type: TypeName): PointRead[] => {
      const schema = schemaOf(reader, type);
      const names = ["x", "y", "z"].map((n) => `${type}.${n}`);
      const m = now - (now % 60);
      const h = now - (now % 3600);
      return [
        { schema, interval: schema.series.interval("minute"), names, first: m - 8 * 3600, last: m },
        { schema, interval: schema.series.interval("hour"), names, first: h - 6 * 3600, last: h },
      ];
    };
    let received = 0;
    for (let round = 0; round < 25; round++) {
      const lines: string[] = [];
      for (let k = 0; k < 20; k++) {
        const type = TYPE_NAMES[Math.floor(rnd() * TYPE_NAMES.length)];
        const late = rnd() < 0.2;
        const t = now - Math.floor(rnd() * (late ? 7 * 3600 : 300));
        lines.push(`${type}.${"xyz"[Math.floor(rnd() * 3)]} ${Math.floor(rnd() * 40 - 10) / 4} ${t}`);
      }
      await sendTcp(port, lines.join("\n") + "\n");
      received += lines.length;
      await until(() => karbon.karbon.metrics.pointsReceived === received);
      expect(await karbon.karbon.flush()).toBe(true);
      for (const type of TYPE_NAMES) {
        for (const read of reads(type)) {
          const want = (await direct.read(read)).map((p) => [...p.values]);
          const got = (await window.read(read)).map((p) => [...p.values]);
          expect(got, `round ${round} ${type} ${read.interval.name}`).toEqual(want);
        }
      }
    }
    expect(window.size).toBeGreaterThan(0);
    // Something was stored: the comparison was not of empty reads.
    const stored = await direct.read(reads("count")[0]);
    expect(stored.some((p) => p.values.some((v) => !Number.isNaN(v)))).toBe(true);
  });
});
