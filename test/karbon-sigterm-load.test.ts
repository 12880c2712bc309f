/**
 * SIGTERM while four connections send as fast as they can: karbon stops
 * reading, writes everything it accepted and exits 0. TCP keeps each
 * connection's lines in order, so what karbon accepted of one connection is
 * a prefix of what was sent: the stored counts must be exactly such a prefix
 * (nothing inside it lost, nothing counted twice), at least as long as what
 * karbon had counted received just before the signal.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { SqliteStore } from "../src/timeseries/backends/sqlite/sqlite-store.js";
import { Timeseries } from "../src/timeseries/index.js";
import { eventually, spawnCli } from "./helpers/processes.js";

const dir = mkdtempSync(join(tmpdir(), "torus-karbon-sigterm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONNECTIONS = 4;
const NAMES = 50;
/** Lines per connection at the most: more than karbon takes in before the signal. */
const LINES = 2_000_000;
const T = Math.floor(Date.now() / 1000) - 30;
const INTERVALS = { minute: { step: 60, steps: 1440 } };

async function received(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^karbon_points_received_total (\S+)$/m.exec(text)?.[1] ?? 0);
}

/** Send connection `k`'s lines (`c.sig.k<k>.n<i mod NAMES> 1 T`) until karbon closes it; resolves with the lines written. */
function flood(port: number, k: number): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0;
    const socket = connect({ host: "127.0.0.1", port }, () => {
      const pump = () => {
        while (sent < LINES && !socket.destroyed) {
          let chunk = "";
          for (let j = 0; j < 1_000; j++, sent++) chunk += `c.sig.k${k}.n${sent % NAMES} 1 ${T}\n`;
          if (!socket.write(chunk)) return void socket.once("drain", pump);
        }
        socket.end();
      };
      pump();
    });
    // karbon closing the connection under the sender is the expected end.
    socket.on("error", () => {});
    socket.on("close", () => resolve(sent));
  });
}

it("SIGTERM under full load: what was accepted is stored exactly once, a prefix of each connection", async () => {
  const db = join(dir, "k.db");
  const configPath = join(dir, "k.ts");
  writeFileSync(
    configPath,
    `import { defineConfig } from "torus";
export default defineConfig({ SCHEMAS: { counts: { type: "count", host: "sqlite:///${db}", match: "^c\\\\.", intervals: ${JSON.stringify(INTERVALS)} } } });
`,
  );
  const karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", configPath]);
  const log = await karbon.waitForLog("karbon listening", 30_000);
  const senders = Array.from({ length: CONNECTIONS }, (_, k) => flood(log.tcp.port, k));
  await eventually(async () => (await received(log.metrics.port)) >= 300_000, 60_000, 20);
  const before = await received(log.metrics.port);
  karbon.kill("SIGTERM");
  expect(await karbon.exited).toBe(0);
  expect(karbon.output()).toMatch(/stopped cleanly/);
  const sent = await Promise.all(senders);

  const store = new SqliteStore(`sqlite:///${db}`);
  try {
    const ts = new Timeseries(store, { type: "count", prefix: "counts", intervals: INTERVALS });
    let total = 0;
    for (let k = 0; k < CONNECTIONS; k++) {
      const names = Array.from({ length: NAMES }, (_, j) => `c.sig.k${k}.n${j}`);
      const got = await Promise.all(names.map(async (n) => ((await ts.get(n, "minute", { timestamp: T })) as number | null) ?? 0));
      const accepted = got.reduce((s, v) => s + v, 0);
      // The first `accepted` lines of connection k, and no other.
      const prefix = names.map((_, j) => Math.floor(accepted / NAMES) + (j < accepted % NAMES ? 1 : 0));
      expect(got, `connection ${k}: ${accepted} of ${sent[k]} lines sent`).toEqual(prefix);
      expect(accepted).toBeLessThanOrEqual(sent[k]);
      total += accepted;
    }
    expect(total).toBeGreaterThanOrEqual(before);
    expect(total).toBeLessThan(CONNECTIONS * LINES);
  } finally {
    await store.close();
  }
}, 120_000);
