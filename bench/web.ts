/**
 * The web explorer's four figures, in Debian's chromium (playwright-core)
 * against a real `torus start` fed over TCP by its karbon:
 *
 *     npx tsx bench/web.ts [runs]
 *
 * - first render: a cold browser context opens `/` with 10,000+ stats
 *   stored; ms from navigation start to the tree's first level drawn
 *   (the page's `window.torus.treeMs`), with where the time went;
 * - expanding a tree level of 1,000 children: click to all 1,000 rows in
 *   the DOM, in the next animation frame;
 * - a chart of 10 series × 1,440 points: ms from the data's arrival to
 *   uPlot's paint (`window.torus.drawMs`);
 * - the page's script, gzipped as the server sends it.
 *
 * Targets: ≤ 300 ms, ≤ 100 ms, ≤ 100 ms, ≤ 150 KB.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { bundleWebAssets } from "../src/query/web-ui/web-assets.js";
import { median, printTable } from "./bench-util.js";

declare const window: { torus: { treeMs: number | null; drawMs: number; series: string[] } };
declare const document: { querySelector(s: string): { click(): void } | null; querySelectorAll(s: string): { length: number } };
declare const performance: { now(): number; getEntriesByType(t: string): Array<{ name: string; startTime: number; requestStart: number; responseStart: number; responseEnd: number }> };
declare function requestAnimationFrame(callback: () => void): number;

const RUNS = Number(process.argv[2] ?? 7);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const send = (port: number, text: string) =>
  new Promise<void>((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.end(text));
    socket.on("error", reject);
    socket.on("close", () => resolve());
  });

async function until(check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 200));
  }
}

const dir = mkdtempSync(join(tmpdir(), "torus-web-bench-"));
const db = `sqlite:///${join(dir, "data.db")}`;
const config = join(dir, "torus.config.mjs");
writeFileSync(config, `export const SCHEMAS = { all: { type: "gauge", match: ".", host: ${JSON.stringify(db)}, prefix: "g", intervals: { minute: { step: 60, steps: 1440 } } } };\nexport const FLUSH_INTERVAL = 100;\n`);
const http = await freePort();
const carbon = await freePort();
const url = `http://127.0.0.1:${http}/`;
const torus = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/torus-main.ts"), "start", "--tcp", `127.0.0.1:${http}`, "--karbon", `127.0.0.1:${carbon}`, "--config", config], { env: { ...process.env, TORUS_DATA: dir }, stdio: ["ignore", "ignore", "pipe"] });
let log = "";
torus.stderr.on("data", (d: Buffer) => void (log += d));
try {
  await until(async () => (await fetch(`${url}version`)).ok, 30_000);
  const now = Math.floor(Date.now() / 1000);
  // 10,000 stats in 100 groups, and one level of 1,000 children.
  const names = [...Array.from({ length: 10_000 }, (_, n) => `bulk.g${String(Math.floor(n / 100)).padStart(2, "0")}.s${String(n % 100).padStart(2, "0")}`), ...Array.from({ length: 1000 }, (_, n) => `app.many.n${String(n).padStart(4, "0")}`)];
  await send(carbon, `${names.map((n) => `${n} 1 ${now - 60}`).join("\n")}\n`);
  await until(async () => ((await (await fetch(`${url}metrics/find?query=app.many.*`)).json()) as unknown[]).length === 1000 && ((await (await fetch(`${url}metrics/find?query=bulk.g99.*`)).json()) as unknown[]).length === 100);
  await (await fetch(url)).text(); // the page is bundled when first asked for
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
  const asked: number[] = [], wait: number[] = [];
  const first: number[] = [], html: number[] = [], script: number[] = [], find: number[] = [], expand: number[] = [], draw: number[] = [];
  const targets = Array.from({ length: 10 }, (_, i) => `target=${encodeURIComponent(`timeFunction("t${i}", 60)`)}`).join("&");
  for (let run = 0; run < RUNS + 1; run++) {
    const ctx = await browser.newContext({ viewport: { width: 2000, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(url);
    await page.waitForFunction(() => window.torus.treeMs !== null);
    const t = await page.evaluate(() => {
      const nav = performance.getEntriesByType("navigation")[0];
      const res = performance.getEntriesByType("resource");
      return { tree: window.torus.treeMs!, html: nav.responseEnd, script: res.find((r) => r.name.endsWith(".js"))?.responseEnd ?? NaN, find: res.find((r) => r.name.includes("metrics/find"))?.responseEnd ?? NaN, asked: res.find((r) => r.name.includes("metrics/find"))?.startTime ?? NaN, wait: (() => { const f = res.find((r) => r.name.includes("metrics/find")); return f ? f.responseStart - f.requestStart : NaN; })() };
    });
    await page.locator('#tree li[data-path="app"] > span').click();
    await page.locator('#tree li[data-path="app.many"] > span').waitFor();
    const ms = await page.evaluate(async () => {
      const started = performance.now();
      document.querySelector('#tree li[data-path="app.many"] > span')!.click();
      while (document.querySelectorAll('#tree li[data-path^="app.many."]').length < 1000) await new Promise<void>((r) => requestAnimationFrame(() => r()));
      return performance.now() - started;
    });
    await page.goto(`${url}?${targets}&from=-1d&until=now`);
    await page.waitForFunction(() => window.torus.series.length === 10 && window.torus.drawMs >= 0);
    const d = await page.evaluate(() => window.torus.drawMs);
    await ctx.close();
    if (run === 0) continue; // the first run warms the server's caches and chromium
    first.push(t.tree);
    html.push(t.html);
    script.push(t.script);
    find.push(t.find);
    asked.push(t.asked);
    wait.push(t.wait);
    expand.push(ms);
    draw.push(d);
  }
  await browser.close();
  const assets = await bundleWebAssets();
  const scripts = [...assets.files.values()].filter((a) => a.name.endsWith(".js"));
  const js = { gzip: Buffer.concat(scripts.map((a) => a.gzip)), body: Buffer.concat(scripts.map((a) => a.body)) };
  const entry = scripts.find((a) => a.name.startsWith("app-"))!;
  const css = [...assets.files.values()].find((a) => a.name.endsWith(".css"))!;
  const range = (v: number[]) => `${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)}`;
  console.log(`web explorer, ${RUNS} runs (after one warm-up), medians:`);
  printTable(
    ["what", "median", "range", "target"],
    [
      ["first render of / (10,000+ stats): navigation → tree's first level drawn, ms", median(first), range(first), "≤ 300"],
      ["  of which: page HTML in, ms", median(html), range(html), ""],
      ["  of which: script in, ms", median(script), range(script), ""],
      ["  of which: /metrics/find asked, ms", median(asked), range(asked), ""],
      ["  of which: /metrics/find answer in, ms", median(find), range(find), ""],
      ["  (the server's time to first byte of that answer, ms)", median(wait), range(wait), ""],
      ["expand a tree level of 1,000 children, ms", median(expand), range(expand), "≤ 100"],
      ["chart of 10 series × 1,440 points: data in → painted, ms", median(draw), range(draw), "≤ 100"],
      ["page script gzipped (all files), KB", js.gzip.length / 1024, `${(js.body.length / 1024).toFixed(0)} KB raw`, "≤ 150"],
      ["  of which: what the tree waits for, KB", entry.gzip.length / 1024, `${(entry.body.length / 1024).toFixed(0)} KB raw`, ""],
      ["page style gzipped, KB", css.gzip.length / 1024, `${(css.body.length / 1024).toFixed(0)} KB raw`, ""],
    ],
  );
} catch (err) {
  console.error(String(err), log.slice(-2000));
  process.exitCode = 1;
} finally {
  torus.kill("SIGTERM");
  await new Promise((r) => torus.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
}
