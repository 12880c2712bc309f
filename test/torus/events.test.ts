/**
 * Graphite events against a real torus process: posted as a deploy script posts them (curl, a JSON
 * body sent with curl's default form type, the write token), read back by the query Grafana's Graphite
 * data source sends for a "Graphite events" annotation, and deleted. EVENTS names a store of their own.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, getJson, spawnCli, type Proc } from "./helpers.js";

const run = promisify(execFile);
const TOKEN = "deploy-token";
const dir = mkdtempSync(join(tmpdir(), "torus-events-"));
const eventsDb = join(dir, "events.db");
const config = join(dir, "torus.config.mjs");
writeFileSync(
  config,
  `export const SCHEMAS = {
  stats: { type: "count", match: ".", host: ${JSON.stringify(`sqlite:///${join(dir, "data.db")}`)}, intervals: { minute: { step: 60, steps: 1440 } } },
};
export const EVENTS = ${JSON.stringify(`sqlite:///${eventsDb}`)};
export const WRITE_TOKEN = ${JSON.stringify(TOKEN)};
`,
);

let torus: Proc;
let url: string;
const now = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  const port = await freePort();
  torus = spawnCli("torus-main.ts", ["--tcp", `127.0.0.1:${port}`, "--config", config]);
  await torus.waitForLog("torus listening", 20_000);
  url = `http://127.0.0.1:${port}`;
}, 30_000);

afterAll(async () => {
  await torus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The README's deploy-script line. */
async function curlPost(body: string, token = TOKEN): Promise<{ status: number; body: string }> {
  const { stdout } = await run("curl", ["-s", "-w", "\n%{http_code}", "-X", "POST", "-H", `Authorization: Bearer ${token}`, `${url}/events/`, "-d", body]);
  const cut = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
}

/** What Grafana's Graphite data source does with `get_data`'s answer (annotation events). */
function asGrafanaAnnotations(events: Array<{ when: number; what: string; data: string; tags: string[] | string }>) {
  return events.map((e) => ({ time: e.when * 1000, title: e.what, tags: Array.isArray(e.tags) ? e.tags : e.tags.split(/[ ,]+/), text: e.data }));
}

describe("events from a deploy script to a Grafana annotation", () => {
  const ids: number[] = [];

  it("posts with curl and the write token; without it the event is refused", async () => {
    const refused = await curlPost('{"what": "sneaky"}', "wrong");
    expect(refused.status).toBe(401);
    for (const [what, tags, when] of [["deploy web 1.2", "deploy prod", now - 3600], ["deploy db 7", ["deploy", "staging"], now - 1800], ["old deploy", "deploy prod", now - 8 * 3600]] as const) {
      const res = await curlPost(JSON.stringify({ what, tags, when, data: `released ${what}` }));
      expect(res.status, res.body).toBe(200);
      ids.push(JSON.parse(res.body).id);
    }
    const plain = await curlPost('{"what": "restart", "tags": "prod"}');
    expect(plain.status).toBe(200);
    ids.push(JSON.parse(plain.body).id);
  });

  it("answers Grafana's annotation query (relative range, tags as typed: space-separated) in graphite-web's shape", async () => {
    const res = await fetch(`${url}/events/get_data?from=-6h&until=now&tags=deploy prod`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as any[];
    expect(body).toEqual([{ when: now - 3600, what: "deploy web 1.2", data: "released deploy web 1.2", tags: ["deploy", "prod"], id: ids[0] }]);
    expect(asGrafanaAnnotations(body)).toEqual([{ time: (now - 3600) * 1000, title: "deploy web 1.2", tags: ["deploy", "prod"], text: "released deploy web 1.2" }]);
  });

  it("answers the absolute form (epoch seconds) and no tags at all, oldest first", async () => {
    const { status, body } = await getJson(`${url}/events/get_data?from=${now - 12 * 3600}&until=${now + 60}`);
    expect(status).toBe(200);
    expect(body.map((e: any) => e.what)).toEqual(["old deploy", "deploy web 1.2", "deploy db 7", "restart"]);
    const deploys = await getJson(`${url}/events/get_data?from=-1d&until=now&tags=deploy`);
    expect(deploys.body.map((e: any) => e.what)).toEqual(["old deploy", "deploy web 1.2", "deploy db 7"]);
  });

  it("keeps the events in the EVENTS store, and deletes one by id", async () => {
    const db = new Database(eventsDb, { readonly: true });
    try {
      expect(db.prepare("SELECT what FROM graphite_events ORDER BY id").pluck().all()).toEqual(["deploy web 1.2", "deploy db 7", "old deploy", "restart"]);
    } finally {
      db.close();
    }
    const del = await fetch(`${url}/events/${ids[1]}`, { method: "DELETE", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(del.status).toBe(200);
    expect((await getJson(`${url}/events/${ids[1]}`)).status).toBe(404);
    const { body } = await getJson(`${url}/events/get_data?from=-12h&until=now`);
    expect(body.map((e: any) => e.id)).toEqual([ids[2], ids[0], ids[3]]);
    const again = await fetch(`${url}/events/${ids[1]}`, { method: "DELETE", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(again.status).toBe(404);
    expect(((await again.json()) as { code: string }).code).toBe("TORUS_ERR_QUERY_UNKNOWN_EVENT");
  });

  it("bad input is a 4xx with a message, and the server keeps serving", async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['{"tags": "prod"}', 400, /"what" is required/],
      ['{"what": "x", "when": "soon"}', 400, /"when" must be Unix seconds/],
      ["{not json", 400, /not JSON/],
    ];
    for (const [body, status, message] of cases) {
      const res = await curlPost(body);
      expect(res.status, body).toBe(status);
      expect(JSON.parse(res.body).error).toMatch(message);
    }
    const huge = await fetch(`${url}/events/`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ what: "x", data: "d".repeat(2 << 20) }) }).catch((err: Error) => err);
    expect(huge instanceof Error ? huge.message : huge.status).toBe(413);
    expect((await getJson(`${url}/events/get_data?from=nonsense`)).status).toBe(400);
    expect((await getJson(`${url}/events/get_data?from=-12h`)).body).toHaveLength(3);
  });
});
