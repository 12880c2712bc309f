/**
 * graphite-web's own answers (fixtures/graphite-web.json, captured by capture.py from Debian's graphite-web with
 * 1.1.10's render functions over carbon-written whisper files) replayed against torus: a real karbon is fed the
 * fixture's points over TCP, a real torus serves them, and every captured request must get the same answer.
 * Values compare as numbers within a tight tolerance; names, order and timestamps exactly. A case torus answers
 * differently on purpose carries `torusDiffers` in the fixture, and is held to that instead.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, freePort, reapChildren, sendTcp, spawnCli, type Spawned } from "../helpers/processes.js";
import { compareBodies, dropKeys, splitTags, type Mismatch } from "./compare.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURE = JSON.parse(readFileSync(join(HERE, "fixtures", "graphite-web.json"), "utf8")) as Fixture;
const FAKE_CLOCK = join(HERE, "fake-clock.mjs");

interface Answer {
  status: number;
  contentType?: string;
  body?: unknown;
}
interface Case {
  id: string;
  request: { method: "GET" | "POST"; path: string; body?: string };
  statusOnly?: boolean;
  /** Asked of a torus configured with this URL_PREFIX (graphite-web had the same). */
  urlPrefix?: string;
  /** Keys removed from graphite-web's answer (they carry the wall clock): removed from torus's too. */
  dropped?: string[];
  response: Answer;
  torusDiffers?: { reason: string; datapoints_as?: string; status?: number };
}
interface Fixture {
  now: number;
  torusSchemas: Record<string, { type: string; match: string; intervals: Record<string, { step: number; steps: number }> }>;
  data: Record<string, Array<[number, number]>>;
  cases: Case[];
}

const dir = mkdtempSync(join(tmpdir(), "torus-webcmp-"));
const servers: Spawned[] = [];
/** The base URL of the torus for each URL_PREFIX ("" for none). */
const bases = new Map<string, string>();
const answers = new Map<string, Answer>();

/** A torus config with the fixture's schemas on one SQLite file (and a URL_PREFIX). */
function writeConfig(prefix = ""): string {
  const host = `sqlite:///${join(dir, "data.db")}`;
  const schemas = Object.fromEntries(Object.entries(FIXTURE.torusSchemas).map(([name, s]) => [name, { ...s, host }]));
  const file = join(dir, `torus${prefix.replace(/\W/g, "_")}.config.ts`);
  writeFileSync(file, `export const SCHEMAS = ${JSON.stringify(schemas, null, 2)};\nexport const FLUSH_INTERVAL = 100;\n${prefix ? `export const URL_PREFIX = ${JSON.stringify(prefix)};\n` : ""}`);
  return file;
}

/** torus on the stored data under a URL prefix, its clock started at the fixture's `now`; resolves with its base URL once every name is findable. */
async function startTorus(prefix: string): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = clockAt(FIXTURE.now);
  const torus = spawnCli("torus-main.ts", ["--config", writeConfig(prefix), "--tcp", `127.0.0.1:${port}`], t.env, false, t.nodeArgs);
  servers.push(torus);
  await torus.waitForLog("torus listening");
  // The name index loads in the background: wait until it holds every name karbon stored.
  const names = Object.keys(FIXTURE.data).sort();
  await eventually(async () => JSON.stringify(await (await fetch(`${url}${prefix}/metrics/index.json`)).json()) === JSON.stringify(names), 20_000);
  return url;
}

/** The node flags that start the process's wall clock at `now`, as graphite-web's was. */
const clockAt = (now: number) => ({ nodeArgs: ["--import", FAKE_CLOCK], env: { TORUS_FAKE_NOW: String(now) } });

async function ask(c: Case): Promise<Answer> {
  const init: RequestInit = c.request.body === undefined ? {} : { method: "POST", body: c.request.body, headers: { "content-type": "application/x-www-form-urlencoded" } };
  const res = await fetch(bases.get(c.urlPrefix ?? "")! + c.request.path, init);
  const text = await res.text();
  const contentType = (res.headers.get("content-type") ?? "").split(";")[0].trim();
  let body: unknown = text;
  if (contentType === "application/json") {
    try {
      body = JSON.parse(text);
    } catch {
      // compared as text: a mismatch shows it
    }
  }
  return { status: res.status, contentType, body };
}

beforeAll(async () => {
  const config = writeConfig();
  // karbon's clock starts just before the newest point, as carbon's did.
  const k = clockAt(FIXTURE.now - 30);
  const karbon = spawnCli("karbon-main.ts", ["--tcp", "127.0.0.1:0", "--metrics", "127.0.0.1:0", "--config", config], k.env, false, k.nodeArgs);
  const log = await karbon.waitForLog("karbon listening");
  const lines = Object.entries(FIXTURE.data).flatMap(([name, points]) => points.map(([t, v]) => `${name} ${v} ${t}\n`));
  await sendTcp(log.tcp.port, lines.join(""));
  // Every line read (not a fixed wait: a busy machine may take longer); SIGTERM then flushes everything staged before karbon exits.
  const received = async () => {
    const text = await (await fetch(`http://127.0.0.1:${log.metrics.port}/metrics`)).text();
    return Number(/^karbon_points_received_total (\S+)$/m.exec(text)?.[1] ?? 0);
  };
  await eventually(async () => (await received()) === lines.length, 20_000);
  expect(await karbon.stop()).toBe(0);

  for (const prefix of new Set(["", ...FIXTURE.cases.map((c) => c.urlPrefix ?? "")])) bases.set(prefix, await startTorus(prefix));
  // Every answer is taken at once, within a few seconds of the clock's start (as graphite-web's were).
  for (const c of FIXTURE.cases) answers.set(c.id, await ask(c));
}, 120_000);

afterAll(async () => {
  for (const s of servers) await s.stop();
  await reapChildren();
  rmSync(dir, { recursive: true, force: true });
});

const byId = new Map(FIXTURE.cases.map((c) => [c.id, c]));

function expectNoMismatch(mismatches: Mismatch[], got: unknown): void {
  if (mismatches.length) expect.fail(`${mismatches.slice(0, 5).map((m) => `${m.path}: graphite-web ${JSON.stringify(m.expected)}, torus ${JSON.stringify(m.actual)}`).join("\n")}\ntorus answered: ${JSON.stringify(got).slice(0, 600)}`);
}

describe("torus answers as graphite-web did (fixtures/graphite-web.json)", () => {
  it.each(FIXTURE.cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const got = answers.get(c.id)!;
    if (c.torusDiffers?.status !== undefined) {
      // The documented difference: a clear error instead of graphite-web's answer.
      expect(got.status).toBe(c.torusDiffers.status);
      expect(got.body).toMatchObject({ error: expect.any(String), code: expect.stringMatching(/^TORUS_ERR_/) });
      return;
    }
    expect(got.status).toBe(c.response.status);
    if (c.statusOnly) return;
    expect(got.contentType).toBe(c.response.contentType);
    let expected = splitTags(c.response.body).body;
    const actual = splitTags(dropKeys(got.body, c.dropped ?? [])).body;
    if (c.torusDiffers?.datapoints_as) {
      // The documented difference: the datapoints of another case, the names of this one.
      const other = splitTags(byId.get(c.torusDiffers.datapoints_as)!.response.body).body as Array<{ datapoints: unknown }>;
      expected = (expected as Array<Record<string, unknown>>).map((s, i) => ({ ...s, datapoints: other[i].datapoints }));
    }
    expectNoMismatch(compareBodies(expected, actual), got.body);
  });
});

describe("torus tags its series as graphite-web did", () => {
  const tagged = FIXTURE.cases.filter((c) => !c.statusOnly && c.torusDiffers?.status === undefined && splitTags(c.response.body).tags !== null);
  it.each(tagged.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const got = answers.get(c.id)!;
    expectNoMismatch(compareBodies(splitTags(c.response.body).tags, splitTags(got.body).tags), got.body);
  });
});
