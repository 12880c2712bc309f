/**
 * Two schemas on one SQLite file, as a new user writes them: no `prefix`.
 * karbon writes, a separate torus reads. Each schema sees only what it matched.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, freePort, getJson, sendTcp, spawnCli, type Proc } from "./helpers.js";

const dirs: string[] = [];
const procs: Proc[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A config file with schemas `a` (`^foo`) and `b` (`^foo\.b`) on one file; `extra` goes into both. */
function configWith(extra: string): string {
  const dir = mkdtempSync(join(tmpdir(), "torus-shared-"));
  dirs.push(dir);
  const host = `sqlite:///${join(dir, "x.db")}`;
  const file = join(dir, "torus.config.mjs");
  writeFileSync(
    file,
    `const host = ${JSON.stringify(host)};
const intervals = { minute: { step: 60, steps: 600 } };
export const SCHEMAS = {
  a: { type: "count", match: "^foo", host, intervals${extra} },
  b: { type: "count", match: "^foo\\\\.b", host, intervals${extra} },
};
export const FLUSH_INTERVAL = 50;
`,
  );
  return file;
}

/** karbon and torus on free ports over one config; the two points sent once each; answers once both are stored. */
async function run(config: string): Promise<{ sumB: (schema: string) => Promise<unknown>; list: (schema: string) => Promise<unknown> }> {
  const karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", config]);
  procs.push(karbon);
  const port = (await karbon.waitForLog("karbon listening", 15_000)).tcp.port as number;
  const http = await freePort();
  const torus = spawnCli("torus-main.ts", ["--tcp", `127.0.0.1:${http}`, "--config", config]);
  procs.push(torus);
  await torus.waitForLog("torus listening", 15_000);
  const T = Math.floor(Date.now() / 1000) - 5;
  await sendTcp(port, `foo.a 1 ${T}\nfoo.b 1 ${T}\n`);
  const base = `http://127.0.0.1:${http}`;
  const list = async (schema: string) => (await getJson(`${base}/list?schema=${schema}`)).body;
  // karbon flushes both points in one batch: once a has both names, everything is stored.
  await eventually(async () => JSON.stringify(await list("a")).includes("foo.b"), 10_000);
  const sumB = async (schema: string) => {
    const { status, body } = await getJson(`${base}/series?stat=sum(foo.b)&schema=${schema}&start=${T}&end=${T}`);
    expect(status).toBe(200);
    return body[0].datapoints;
  };
  return { sumB, list };
}

describe("schemas sharing a store", () => {
  it("without a prefix: each schema counts its own points once and lists only the names it matched", async () => {
    const { sumB, list } = await run(configWith(""));
    const [[a]] = (await sumB("a")) as number[][];
    const [[b]] = (await sumB("b")) as number[][];
    expect([a, b]).toEqual([1, 1]);
    expect(await list("a")).toEqual(["foo.a", "foo.b"]);
    expect(await list("b")).toEqual(["foo.b"]);
  }, 40_000);

  it("with the same explicit prefix: both write into the same rows, as documented", async () => {
    const { sumB, list } = await run(configWith(`, prefix: "shared"`));
    const [[a]] = (await sumB("a")) as number[][];
    const [[b]] = (await sumB("b")) as number[][];
    // foo.b matched both schemas: its point went into the shared rows twice.
    expect([a, b]).toEqual([2, 2]);
    expect(await list("a")).toEqual(["foo.a", "foo.b"]);
    expect(await list("b")).toEqual(["foo.a", "foo.b"]);
  }, 40_000);
});
