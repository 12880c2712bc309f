import type uPlot from "uplot";
import "./style.css";
import { ServerError, Unreachable, functions, render, seriesData, type RenderSeries } from "./api.js";
import { PERCENTILES, cellPercentile, drawHeatmap, toColumns } from "./heatmap.js";
import { alignSeries, colorOf, drawChart } from "./chart.js";
import { formatValue, seriesStats } from "./legend-stats.js";
import { loadLevel, searchQuery, wireTree, type TreeDeps } from "./tree.js";
import { readState, refreshMs, writeState, type ViewState } from "./view-state.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const PRESETS = ["1h", "6h", "1d", "7d", "30d"];

/** What tests (and the curious) read: the chart's data as drawn, and how many draws finished. */
interface PageView { state: ViewState; series: string[]; data: Array<Array<number | null>>; draws: number; drawMs: number; error: string; heatmap: { times: number[]; percentiles: Record<string, Array<number | null>> } | null }
declare global {
  interface Window { torus: PageView }
}

let state = readState(location.search);
let chart: uPlot | null = null;
let timer: ReturnType<typeof setInterval> | null = null;
let drawn: { series: RenderSeries[]; data: uPlot.AlignedData } | null = null;
window.torus = { state, series: [], data: [], draws: 0, drawMs: 0, error: "", heatmap: null };

function save(): void {
  history.replaceState(null, "", writeState(state));
  window.torus.state = state;
}

function showError(err: unknown): void {
  const banner = $("banner");
  if (err instanceof Unreachable) {
    banner.textContent = `${err.message}; retrying…`;
    banner.hidden = false;
    setTimeout(() => void refresh(), 5000);
    return;
  }
  const message = err instanceof ServerError ? err.message : String((err as Error)?.message ?? err);
  $("error").textContent = message;
  window.torus.error = message;
}

const treeDeps: TreeDeps = { onPick: (path) => toggleTarget(path), isPlotted: (p) => state.targets.includes(p), onError: showError };

function toggleTarget(t: string): void {
  state = { ...state, targets: state.targets.includes(t) ? state.targets.filter((x) => x !== t) : [...state.targets, t] };
  for (const el of document.querySelectorAll<HTMLElement>("#tree li[data-leaf]")) el.firstElementChild!.classList.toggle("plotted", state.targets.includes(el.dataset.path!));
  changed();
}

function changed(): void {
  save();
  renderTargets();
  syncControls();
  void refresh();
}

function renderTargets(): void {
  const list = $("targets");
  list.replaceChildren(
    ...state.targets.map((t, i) => {
      const li = document.createElement("li");
      const input = document.createElement("input");
      input.value = t;
      input.setAttribute("aria-label", `target ${i + 1}`);
      input.addEventListener("change", () => {
        state = { ...state, targets: state.targets.map((x, j) => (j === i ? input.value : x)).filter((x) => x.trim() !== "") };
        changed();
      });
      const remove = document.createElement("button");
      remove.textContent = "×";
      remove.title = "remove";
      remove.addEventListener("click", () => ((state = { ...state, targets: state.targets.filter((_, j) => j !== i) }), changed()));
      li.append(input, remove);
      return li;
    }),
  );
}

const toLocal = (sec: number) => new Date((sec - new Date(sec * 1000).getTimezoneOffset() * 60) * 1000).toISOString().slice(0, 16);

function syncControls(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("#presets button")) b.classList.toggle("on", state.from === `-${b.textContent}` && state.until === "now");
  ($("refresh") as HTMLSelectElement).value = state.refresh;
  if (/^\d+$/.test(state.from)) ($("from") as HTMLInputElement).value = toLocal(Number(state.from));
  if (/^\d+$/.test(state.until)) ($("until") as HTMLInputElement).value = toLocal(Number(state.until));
  if (timer) clearInterval(timer);
  const ms = refreshMs(state.refresh);
  timer = ms > 0 ? setInterval(() => void refresh(), ms) : null;
}

let generation = 0;
async function refresh(): Promise<void> {
  const mine = ++generation;
  $("error").textContent = "";
  window.torus.error = "";
  void refreshHeatmap(mine);
  if (state.targets.length === 0) return draw([]);
  try {
    const series = await render(state.targets, state.from, state.until, Math.max(100, $("chart").clientWidth));
    $("banner").hidden = true;
    if (mine === generation) draw(series);
  } catch (err) {
    if (mine === generation) showError(err);
  }
}

async function refreshHeatmap(mine: number): Promise<void> {
  const canvas = $("heatmap") as HTMLCanvasElement;
  canvas.hidden = state.heatmap === "";
  ($("heatmap-input") as HTMLInputElement).value = state.heatmap;
  if (state.heatmap === "") return void (window.torus.heatmap = null);
  try {
    const [first] = await seriesData(state.heatmap, state.from, state.until);
    if (mine !== generation) return;
    const columns = toColumns(first?.datapoints);
    drawHeatmap(canvas, columns);
    const percentiles: Record<string, Array<number | null>> = {};
    for (const p of PERCENTILES) percentiles[`p${p}`] = columns.map((c) => cellPercentile(c.cells, p));
    window.torus.heatmap = { times: columns.map((c) => c.t), percentiles };
  } catch (err) {
    if (mine === generation) showError(err);
  }
}

function draw(series: RenderSeries[]): void {
  const started = performance.now();
  const data = alignSeries(series);
  drawn = { series, data };
  chart = drawChart($("chart"), series, data, (from, until) => ((state = { ...state, from: String(from), until: String(until) }), changed()), chart);
  const body = ($("legend") as HTMLTableElement).tBodies[0];
  body.replaceChildren(
    ...series.map((s, i) => {
      const tr = document.createElement("tr");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = colorOf(i);
      const stats = seriesStats(data[i + 1] as Array<number | null>);
      const cells = [swatch, s.target, ...[stats.min, stats.max, stats.avg, stats.last].map(formatValue)];
      tr.append(...cells.map((c) => {
        const td = document.createElement("td");
        if (typeof c === "string") td.textContent = c;
        else td.append(c);
        return td;
      }));
      return tr;
    }),
  );
  window.torus.series = series.map((s) => s.target);
  window.torus.data = data.map((col) => Array.from(col as ArrayLike<number | null>));
  window.torus.drawMs = performance.now() - started;
  window.torus.draws++;
}

async function setupFunctions(): Promise<void> {
  const select = $("function-select") as HTMLSelectElement;
  const defs = await functions();
  const groups = new Map<string, HTMLOptGroupElement>();
  for (const f of Object.values(defs).sort((a, b) => a.name.localeCompare(b.name))) {
    let g = groups.get(f.group);
    if (!g) groups.set(f.group, (g = Object.assign(document.createElement("optgroup"), { label: f.group })));
    const o = document.createElement("option");
    o.value = f.name;
    o.textContent = f.name;
    o.title = f.description;
    g.appendChild(o);
  }
  select.replaceChildren(...[...groups.values()].sort((a, b) => a.label.localeCompare(b.label)));
  $("function-apply").addEventListener("click", () => {
    const args = ($("function-args") as HTMLInputElement).value.trim();
    state = { ...state, targets: state.targets.map((t) => `${select.value}(${t}${args ? `, ${args}` : ""})`) };
    changed();
  });
}

function setupSearch(): void {
  const input = $("search") as HTMLInputElement;
  const tree = $("tree") as HTMLUListElement;
  let pending: ReturnType<typeof setTimeout> | null = null;
  input.addEventListener("input", () => {
    if (pending) clearTimeout(pending);
    pending = setTimeout(() => void loadLevel(tree, input.value.trim() === "" ? "*" : searchQuery(input.value), treeDeps, input.value.trim() !== "").catch(showError), 150);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowDown") return;
    (tree.querySelector("li > span") as HTMLElement | null)?.focus();
    e.preventDefault();
  });
}

function setup(): void {
  for (const p of PRESETS) {
    const b = document.createElement("button");
    b.textContent = p;
    b.addEventListener("click", () => ((state = { ...state, from: `-${p}`, until: "now" }), changed()));
    $("presets").appendChild(b);
  }
  $("apply-range").addEventListener("click", () => {
    const sec = (id: string) => Math.floor(new Date(($(id) as HTMLInputElement).value).getTime() / 1000);
    const from = sec("from"), until = sec("until");
    if (!Number.isFinite(from) || !Number.isFinite(until) || from >= until) return;
    state = { ...state, from: String(from), until: String(until) };
    changed();
  });
  ($("refresh") as HTMLSelectElement).addEventListener("change", (e) => ((state = { ...state, refresh: (e.target as HTMLSelectElement).value as ViewState["refresh"] }), changed()));
  $("target-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("target-input") as HTMLInputElement;
    if (input.value.trim() === "") return;
    state = { ...state, targets: [...state.targets, input.value.trim()] };
    input.value = "";
    changed();
  });
  $("heatmap-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state = { ...state, heatmap: ($("heatmap-input") as HTMLInputElement).value.trim() };
    changed();
  });
  // Light and dark follow the system; the chart's colours are read when it is drawn.
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => drawn && draw(drawn.series));
  const tree = $("tree") as HTMLUListElement;
  wireTree(tree, treeDeps);
  void loadLevel(tree, "*", treeDeps).catch(showError);
  void setupFunctions().catch(showError);
  setupSearch();
  renderTargets();
  syncControls();
  void refresh();
}

setup();
