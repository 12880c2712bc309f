/**
 * The web explorer in a real browser: a `torus start` fed over TCP by its
 * karbon, Debian's chromium driven by playwright-core. The page's chart
 * data is read from `window.torus` (what uPlot was given), not a picture;
 * a screenshot of each view goes to .artifacts/web/ for a person to look at.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, eventually, freePort, getJson, sendTcp, spawnCli, type Proc } from "../torus/helpers.js";

/** What the page exposes for tests (src/web/main.ts); these callbacks run in the browser. */
declare const window: { torus: { state: { targets: string[]; from: string; until: string; refresh: string }; series: string[]; data: Array<Array<number | null>>; draws: number; drawMs: number; error: string; heatmap: { times: number[]; percentiles: Record<string, Array<number | null>> } | null } };

declare const document: { querySelector(s: string): { click(): void } | null; querySelectorAll(s: string): { length: number } };
declare function requestAnimationFrame(callback: () => void): number;

const SHOTS = join(ROOT, ".artifacts", "web");
const dir = mkdtempSync(join(tmpdir(), "torus-web-"));
const config = join(dir, "torus.config.mjs");
writeFileSync(
  config,
  `export const SCHEMAS = { latency: { type: "gauge", match: "^app\\\\.", host: ${JSON.stringify(`sqlite:///${join(dir, "data.db")}`)}, prefix: "g", intervals: { minute: { step: 60, steps: 1440 } } },
  users: { type: "set", match: "^users\\.", host: ${JSON.stringify(`sqlite:///${join(dir, "data.db")}`)}, prefix: "u", intervals: { minute: { step: 60, steps: 1440 } } },
  timers: { type: "histogram", match: "^timers\\.", host: ${JSON.stringify(`sqlite:///${join(dir, "data.db")}`)}, prefix: "h", intervals: { minute: { step: 60, steps: 1440 } } } };
export const FLUSH_INTERVAL = 50;
`,
);

const now = Math.floor(Date.now() / 1000);
const base = now - (now % 60) - 1200;
/** Twenty minutes of points for two hosts; one stat name that would be markup if it were run. */
const MINUTES = Array.from({ length: 20 }, (_, k) => base + 60 * k);
const latency = (i: number, k: number) => 10 * (i + 1) + k;
/** Timer values per minute k: 1..(10 + k) ms, so each minute's percentiles differ. */
const TIMINGS = (k: number) => Array.from({ length: 10 + k }, (_, j) => j + 1);
/** The nearest-rank percentile of a list, computed here from the values sent. */
const rankPercentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(1, Math.ceil((p / 100) * values.length)) - 1];
const EVIL = `app.<img>"'<b>x`;

let torus: Proc;
let url: string;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const http = await freePort();
  const carbon = await freePort();
  torus = spawnCli("torus-main.ts", ["start", "--tcp", `127.0.0.1:${http}`, "--karbon", `127.0.0.1:${carbon}`, "--config", config], { TORUS_DATA: dir });
  await torus.waitForLog("torus listening", 30_000);
  url = `http://127.0.0.1:${http}/`;
  const lines = ["web1", "web2"].flatMap((h, i) => MINUTES.map((t, k) => `app.${h}.latency ${latency(i, k)} ${t + 5}`));
  lines.push(`${EVIL} 1 ${base + 5}`);
  for (let n = 0; n < 1000; n++) lines.push(`app.many.n${String(n).padStart(4, "0")} 1 ${base + 5}`);
  // Resent until stored, so each cell counts every send alike: the percentiles do not change.
  MINUTES.forEach((t, k) => TIMINGS(k).forEach((v) => lines.push(`timers.web.ms ${v} ${t + 5}`)));
  // Minute k sees members 100..100 + (k % 4), each twice.
  MINUTES.forEach((t, k) => [0, 1].forEach(() => Array.from({ length: (k % 4) + 1 }, (_, j) => lines.push(`users.web ${100 + j} ${t + 5}`))));
  await eventually(async () => {
    await sendTcp(carbon, `${lines.join("\n")}\n`).catch(() => undefined);
    const { status, body } = await getJson(`${url}render?target=app.web2.latency&from=${base - 60}&until=${now}&format=json`);
    if (!(status === 200 && body.length === 1 && body[0].datapoints.some((p: [number | null, number]) => p[0] === latency(1, 19)))) return false;
    const timers = await getJson(`${url}render?target=timers.web.ms&from=${base - 60}&until=${now}&format=json`);
    return timers.status === 200 && timers.body.length === 1 && timers.body[0].datapoints.some((p: [number | null, number]) => p[0] !== null && p[1] === MINUTES[19]);
  }, 20_000);
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on("console", (m) => void (m.type() === "error" && errors.push(`${m.text()} ${m.location().url}`)));
  page.on("pageerror", (e) => void errors.push(String(e)));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await torus?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const view = () => page.evaluate(() => ({ ...window.torus, state: window.torus.state }));
const waitDraws = (n: number) => page.waitForFunction((k) => window.torus.draws >= k, n);

describe("the web explorer", () => {
  it("opens, walks the tree one level at a time and plots a picked stat with its points and values", async () => {
    const started = Date.now();
    await page.goto(`${url}?from=${base - 60}&until=${now}`);
    await page.locator('#tree li[data-path="app"] > span').click();
    const firstMs = Date.now() - started;
    await page.locator('#tree li[data-path="app.web1"] > span').click();
    await page.locator('#tree li[data-path="app.web1.latency"] > span').click();
    await waitDraws(1);
    await page.waitForFunction(() => window.torus.series.length === 1);
    const v = await view();
    expect(v.series).toEqual(["app.web1.latency"]);
    const [times, values] = v.data;
    const byTime = new Map(times.map((t, j) => [t, values[j]] as const));
    for (const [k, t] of MINUTES.entries()) expect(byTime.get(t), `minute ${k}`).toBe(latency(0, k));
    expect(await page.locator("#legend tbody tr").count()).toBe(1);
    expect(await page.locator("#legend tbody td").nth(2).textContent()).toBe(String(latency(0, 0)));
    expect(await page.locator("#legend tbody td").nth(3).textContent()).toBe(String(latency(0, 19)));
    expect(firstMs).toBeLessThan(5000);
    await page.screenshot({ path: join(SHOTS, "1-one-stat.png") });
  });

  it("searches with a glob, adds a second target, changes the range and applies a function", async () => {
    await page.locator("#search").fill("app.web2.*");
    await page.locator('#tree li[data-path="app.web2.latency"] > span').click();
    await page.waitForFunction(() => window.torus.series.length === 2);
    await page.locator("#presets button", { hasText: "6h" }).click();
    await page.waitForFunction(() => window.torus.state.from === "-6h");
    await page.locator("#function-select").selectOption("scale");
    await page.locator("#function-args").fill("2");
    await page.locator("#function-apply").click();
    await page.waitForFunction(() => window.torus.series.every((s) => s.startsWith("scale(")) && window.torus.series.length === 2);
    const v = await view();
    expect(v.state.targets).toEqual(["scale(app.web1.latency, 2)", "scale(app.web2.latency, 2)"]);
    const values = v.data[2].filter((x): x is number => x !== null);
    expect(values).toContain(2 * latency(1, 19));
    expect(new URL(page.url()).searchParams.getAll("target")).toEqual(v.state.targets);
    await page.screenshot({ path: join(SHOTS, "2-function-6h.png") });
  });

  it("reloads from the shared URL into the same view", async () => {
    const before = await view();
    const shared = page.url();
    const other = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    other.on("pageerror", (e) => void errors.push(String(e)));
    await other.goto(shared);
    await other.waitForFunction(() => window.torus.series.length === 2);
    const after = await other.evaluate(() => window.torus);
    expect(after.state).toEqual(before.state);
    expect(after.series).toEqual(before.series);
    await other.screenshot({ path: join(SHOTS, "3-shared-url.png") });
    await other.close();
  });

  it("shows a bad target's error from the server, and a stat name with markup as text", async () => {
    await page.locator("#target-input").fill("sumSeries(");
    await page.locator("#target-form button").click();
    await page.waitForFunction(() => window.torus.error !== "", undefined, { timeout: 5000 });
    expect(await page.locator("#error").textContent()).not.toBe("");
    await page.goto(url);
    await page.locator('#tree li[data-path="app"] > span').click();
    const evil = page.locator("#tree li[data-leaf] > span", { hasText: "<b>" });
    await evil.waitFor({ timeout: 5000 });
    expect(await evil.textContent()).toBe(EVIL.slice(4));
    expect(await page.locator("#tree img, #tree b").count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, "4-tree.png") });
    // The bad target's 400 is the one console error the browser logs (a failed request).
    expect(errors.filter((e) => !e.includes("400"))).toEqual([]);
  });

  it("draws a histogram's cells as a heatmap with p50/p90/p99 computed from the cells", async () => {
    await page.goto(`${url}?from=${base - 60}&until=${now}&heatmap=timers.web.ms`);
    await page.waitForFunction(() => window.torus.heatmap !== null && window.torus.heatmap.times.length > 0);
    const heat = (await view()).heatmap!;
    for (const [k, t] of MINUTES.entries()) {
      const i = heat.times.indexOf(t);
      expect(i, `minute ${k}`).toBeGreaterThanOrEqual(0);
      for (const p of [50, 90, 99]) expect(heat.percentiles[`p${p}`][i], `p${p} of minute ${k}`).toBe(rankPercentile(TIMINGS(k), p));
    }
    expect(await page.locator("#heatmap").isVisible()).toBe(true);
    await page.screenshot({ path: join(SHOTS, "5-heatmap.png") });
    expect(errors.filter((e) => !e.includes("400"))).toEqual([]);
  });

  it("plots a set's distinct count per minute", async () => {
    await page.goto(`${url}?target=${encodeURIComponent("distinctCount(users.web)")}&from=${base - 60}&until=${now}`);
    await page.waitForFunction(() => window.torus.series.length === 1 || window.torus.error !== "", undefined, { timeout: 10_000 });
    expect((await view()).error).toBe("");
    const [times, values] = (await view()).data;
    for (const [k, t] of MINUTES.entries()) expect(values[times.indexOf(t)], `minute ${k}`).toBe((k % 4) + 1);
    await page.screenshot({ path: join(SHOTS, "6-distinct-count.png") });
  });

  it("draws 10 series of 1,440 points in under 100 ms once their data is in", async () => {
    const targets = Array.from({ length: 10 }, (_, i) => `target=${encodeURIComponent(`timeFunction("t${i}", 60)`)}`).join("&");
    // Wide enough that maxDataPoints (the chart's width) keeps every point.
    const wide = await browser.newPage({ viewport: { width: 2000, height: 800 } });
    await wide.goto(`${url}?${targets}&from=-1d&until=now`);
    await wide.waitForFunction(() => window.torus.series.length === 10);
    const v = await wide.evaluate(() => window.torus);
    expect(v.data[1].length).toBeGreaterThanOrEqual(1440);
    console.log(`10 x ${v.data[1].length} points drawn in ${v.drawMs.toFixed(1)} ms`);
    expect(v.drawMs).toBeLessThan(100);
    await wide.screenshot({ path: join(SHOTS, "7-ten-series.png") });
    await wide.close();
  });

  it("expands a level of 1,000 children in under 100 ms", async () => {
    await page.goto(url);
    await page.locator('#tree li[data-path="app"] > span').click();
    await page.locator('#tree li[data-path="app.many"] > span').waitFor();
    const ms = await page.evaluate(async () => {
      const started = performance.now();
      document.querySelector('#tree li[data-path="app.many"] > span')!.click();
      while (document.querySelectorAll('#tree li[data-path^="app.many."]').length < 1000) await new Promise<void>((r) => requestAnimationFrame(() => r()));
      return performance.now() - started;
    });
    console.log(`1,000 children shown in ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(100);
  });
});
