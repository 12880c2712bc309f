/**
 * Graphite's own senders against karbon's pickle port: Etsy's statsd with
 * `graphiteProtocol: "pickle"`, and Debian's carbon-relay with karbon as its
 * pickle DESTINATION. Stored results are read back from SQLite.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, expect, it } from "vitest";
import { loadConfig } from "../src/config/index.js";
import { buildRuntime } from "../src/runtime/runtime.js";
import { StoreRegistry } from "../src/timeseries/index.js";
import { frame, pickleBatch } from "../src/ingest/protocols/pickle/pickle-encoder.case.js";
import { ROOT, eventually, freePort, reapChildren, sendTcp, spawnCli, track } from "./helpers/processes.js";
import { expectStatsdTotals, sendStatsdLoad, startStatsd } from "./helpers/statsd.js";

const dir = mkdtempSync(join(tmpdir(), "torus-pickle-senders-"));
const registry = new StoreRegistry();
afterEach(() => reapChildren());
afterAll(async () => {
  await registry.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

it("statsd with graphiteProtocol \"pickle\" → karbon --pickle → SQLite: counters, timers and gauges read back", async () => {
  const data = join(dir, "statsd");
  mkdirSync(data);
  const env = { TORUS_DATA: data };
  const karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--pickle", "127.0.0.1:0", "--config", join(ROOT, "examples", "statsd.ts")], env);
  const picklePort = (await karbon.waitForLog("karbon listening")).pickle.port;

  // The plaintext port points where nothing listens, so a fallback to text would show as missing points.
  const statsd = await startStatsd(data, { graphiteProtocol: "pickle", graphitePicklePort: picklePort, graphitePort: await freePort() });
  const start = await sendStatsdLoad(statsd.port);

  process.env.TORUS_DATA = data;
  const runtime = await buildRuntime(await loadConfig([join(ROOT, "examples", "statsd.ts")]), registry);
  await expectStatsdTotals(runtime, start);
  expect(statsd.output()).not.toMatch(/error/i);

  karbon.kill("SIGTERM");
  expect(await karbon.exited).toBe(0);
}, 60_000);

/** Installed by .ci/run; a machine without it skips this test, except in CI, where its absence fails it. */
const hasCarbon = spawnSync("sh", ["-c", "command -v carbon-relay"]).status === 0;

it.skipIf(!hasCarbon && !process.env.CI)("Debian's carbon-relay with karbon as its pickle DESTINATION: lines and pickles sent to the relay are stored", async () => {
  const db = join(dir, "relay.db");
  const config = join(dir, "relay.ts");
  writeFileSync(config, `export default { SCHEMAS: { counts: { type: "count", host: "sqlite:///${db}", match: "^c\\\\.", intervals: { minute: { step: 60 } } } }, FLUSH_INTERVAL: 100 };\n`);
  const karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--pickle", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", config]);
  const log = await karbon.waitForLog("karbon listening");

  // carbon-relay reads everything from its --config file's folder and GRAPHITE_ROOT: a private tree, nothing under /etc.
  const root = join(dir, "graphite");
  const conf = join(root, "conf");
  mkdirSync(join(root, "storage", "log"), { recursive: true });
  mkdirSync(conf, { recursive: true });
  const linePort = await freePort();
  const relayPicklePort = await freePort();
  writeFileSync(
    join(conf, "carbon.conf"),
    `[relay]
STORAGE_DIR = ${join(root, "storage")}
LOCAL_DATA_DIR = ${join(root, "storage", "whisper")}
LOG_DIR = ${join(root, "storage", "log")}
PID_DIR = ${join(root, "storage")}
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = ${linePort}
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = ${relayPicklePort}
ENABLE_UDP_LISTENER = False
ENABLE_MANHOLE = False
RELAY_METHOD = consistent-hashing
REPLICATION_FACTOR = 1
DESTINATIONS = 127.0.0.1:${log.pickle.port}
DESTINATION_PROTOCOL = pickle
MAX_DATAPOINTS_PER_MESSAGE = 500
MAX_QUEUE_SIZE = 100000
USE_FLOW_CONTROL = True
CARBON_METRIC_INTERVAL = 1
`,
  );
  writeFileSync(join(conf, "storage-schemas.conf"), "[default]\npattern = .*\nretentions = 60s:1d\n");
  writeFileSync(join(conf, "relay-rules.conf"), `[default]\ndefault = true\ndestinations = 127.0.0.1:${log.pickle.port}\n`);
  const relay = track(
    spawn("carbon-relay", ["--config", join(conf, "carbon.conf"), "--nodaemon", "--debug", "start"], {
      env: { ...process.env, GRAPHITE_ROOT: root, GRAPHITE_CONF_DIR: conf, GRAPHITE_STORAGE_DIR: join(root, "storage") },
      stdio: "pipe",
    }),
  );
  let relayOut = "";
  relay.stdout.on("data", (d) => (relayOut += d));
  relay.stderr.on("data", (d) => (relayOut += d));
  await eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const s = connect({ host: "127.0.0.1", port: linePort }, () => {
          s.destroy();
          resolve(true);
        });
        s.on("error", () => resolve(false));
      }),
    20_000,
    200,
  ).catch((err) => {
    throw new Error(`${(err as Error).message}; carbon-relay said:\n${relayOut}`);
  });

  const now = Math.floor(Date.now() / 1000);
  // Plaintext lines into the relay's line port, pickles (carbon-relay-shaped batches) into its pickle port.
  const lines = Array.from({ length: 600 }, (_, i) => `c.relay.line.n${i % 20} ${(i % 4) + 1} ${now - (i % 120)}\n`).join("");
  const points = Array.from({ length: 1500 }, (_, i) => ({ name: `c.relay.pickle.n${i % 30}`, timestamp: now - (i % 200), value: (i % 3) + 1 }));
  await sendTcp(linePort, lines);
  await sendTcp(relayPicklePort, [Buffer.concat([0, 500, 1000].map((k) => frame(pickleBatch(points.slice(k, k + 500), "python2"))))]);
  const want: Record<string, number> = {};
  for (let i = 0; i < 600; i++) want[`c.relay.line.n${i % 20}`] = (want[`c.relay.line.n${i % 20}`] ?? 0) + (i % 4) + 1;
  for (const p of points) want[p.name] = (want[p.name] ?? 0) + p.value;

  const runtime = await buildRuntime(await loadConfig([config]), registry);
  const ts = runtime.schema("counts")!.series;
  const got = async () => {
    const out: Record<string, number> = {};
    for (const name of Object.keys(want)) out[name] = [...(await ts.series(name, "minute", { start: now - 3600, end: now + 60, collapse: true })).values()][0] as number;
    return out;
  };
  await eventually(async () => JSON.stringify(await got()) === JSON.stringify(want), 30_000, 250).catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(await got())}; carbon-relay said:\n${relayOut.slice(-3000)}`);
  });
  // The relay's own metrics (carbon.relays.*) are dead letters here, not bad input: nothing was refused.
  const metrics = await (await fetch(`http://127.0.0.1:${log.metrics.port}/metrics`)).text();
  expect(metrics).not.toMatch(/karbon_bad_lines_total\{reason="pickle_/);
  relay.kill("SIGTERM");
  karbon.kill("SIGTERM");
  expect(await karbon.exited).toBe(0);
}, 90_000);
