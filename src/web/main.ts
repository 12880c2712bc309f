import type uPlot from "uplot";
import "./style.css";
import { ServerError, Unreachable, functions, reachable, render, seriesData, whenAnswered, type KarbonStatus, type RenderSeries } from "./api.js";
import { PERCENTILES, cellPercentile, drawHeatmap, toColumns, type HeatmapLayout } from "./heatmap.js";
import { alignSeries, colorOf } from "./series-align.js";
import "uplot/dist/uPlot.min.css";
import { formatValue, seriesStats } from "./legend-stats.js";
import { loadLevel, searchQuery, wireTree, type TreeDeps } from "./tree.js";
import { readState, refreshMs, writeState, type ViewState } from "./view-state.js";
import { wireStatus } from "./status-panel.js";
import { wireTagPicker, type TagView } from "./tag-picker.js";
import { resolveTime, toLocalInput } from "./time-range.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const PRESETS = ["1h", "6h", "1d", "7d", "30d"];

/**
 * What tests (and the curious) read: the chart's data as drawn, how many
 * draws finished, and how long the last took from its data to its paint
 * (-1 until painted); the heatmap's percentiles and layout; the tag
 * picker; karbon's last status; the banner; when the tree's first level
 * was drawn (ms since navigation began).
 */
interface PageView {
  state: ViewState;
  series: string[];
  data: Array<Array<number | null>>;
  draws: number;
  drawMs: number;
  error: string;
  heatmap: ({ times: number[]; percentiles: Record<string, Array<number | null>> } & Partial<HeatmapLayout>) | null;
  tags: TagView | null;
  status: KarbonStatus | null;
  banner: string;
  treeMs: number | null;
}
declare global {
  interface Window { torus: PageView }
}

let state = readState(location.search);
let chart: uPlot | null = null;
let timer: ReturnType<typeof setInterval> | null = null;
let drawn: { series: RenderSeries[]; data: uPlot.AlignedData } | null = null;
/** uPlot comes in its own file, asked for when a chart is first wanted: the tree is drawn without it. */
let chartLib: Promise<typeof import("./chart.js")> | null = null;
const loadChart = () => (chartLib ??= import("./chart.js"));
window.torus = { state, series: [], data: [], draws: 0, drawMs: -1, error: "", heatmap: null, tags: null, status: null, banner: "", treeMs: null };
/** How often an unreachable server is tried again. */
const RETRY_MS = 2000;

function save(): void {
  history.replaceState(null, "", writeState(state));
  window.torus.state = state;
}

let retrying: ReturnType<typeof setTimeout> | null = null;

function hideBanner(): void {
  $("banner").hidden = true;
  window.torus.banner = "";
}

/** The server is back: read again what could not be read while it was away. */
function recovered(): void {
  hideBanner();
  const tree = $("tree") as HTMLUListElement;
  if (tree.childElementCount === 0) void loadRoot(tree);
  status.open(state.status);
  void refresh();
}

/** A banner while the server cannot be reached, tried again every RETRY_MS until it answers. */
function unreachable(err: Unreachable): void {
  const banner = $("banner");
  banner.textContent = `${err.message}: what is shown was read before. Retrying every ${RETRY_MS / 1000} s…`;
  banner.hidden = false;
  window.torus.banner = banner.textContent;
  if (retrying) return;
  const probe = async () => {
    if (await reachable()) {
      retrying = null;
      recovered();
    } else retrying = setTimeout(() => void probe(), RETRY_MS);
  };
  retrying = setTimeout(() => void probe(), RETRY_MS);
}

function showError(err: unknown): void {
  if (err instanceof Unreachable) return unreachable(err);
  const message = err instanceof ServerError ? err.message : String((err as Error)?.message ?? err);
  $("error").textContent = message;
  window.torus.error = message;
}

const status = wireStatus((s) => void (window.torus.status = s), showError);

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

/** The date inputs show the range in force, whether a preset, a zoom or typed dates set it (not while one is being edited). */
function syncRangeInputs(): void {
  const now = Math.floor(Date.now() / 1000);
  for (const [id, text] of [["from", state.from], ["until", state.until]] as const) {
    const input = $(id) as HTMLInputElement;
    if (document.activeElement === input) continue;
    const sec = resolveTime(text, now);
    input.value = sec === null ? "" : toLocalInput(sec);
  }
}

function syncControls(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("#presets button")) b.classList.toggle("on", state.from === `-${b.textContent}` && state.until === "now");
  ($("refresh") as HTMLSelectElement).value = state.refresh;
  syncRangeInputs();
  $("status-toggle").classList.toggle("on", state.status);
  for (const tab of ["tree", "tags"] as const) {
    $(`tab-${tab}`).setAttribute("aria-selected", String(state.tab === tab));
    $(`${tab}-pane`).hidden = state.tab !== tab;
  }
  if (timer) clearInterval(timer);
  const ms = refreshMs(state.refresh);
  timer = ms > 0 ? setInterval(() => void refresh(), ms) : null;
}

let generation = 0;
async function refresh(): Promise<void> {
  const mine = ++generation;
  syncRangeInputs(); // a relative range moves on with each refresh
  $("error").textContent = "";
  window.torus.error = "";
  void refreshHeatmap(mine);
  $("chart").hidden = state.targets.length === 0;
  if (state.targets.length === 0) return draw([]);
  void loadChart().catch(showError); // beside the data, not after it
  try {
    const series = await render(state.targets, state.from, state.until, Math.max(100, $("chart").clientWidth));
    hideBanner();
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
    const layout = drawHeatmap(canvas, columns, 24, formatValue);
    const percentiles: Record<string, Array<number | null>> = {};
    for (const p of PERCENTILES) percentiles[`p${p}`] = columns.map((c) => cellPercentile(c.cells, p));
    window.torus.heatmap = { times: columns.map((c) => c.t), percentiles, ...layout };
  } catch (err) {
    if (mine === generation) showError(err);
  }
}

function draw(series: RenderSeries[]): void {
  const started = performance.now();
  window.torus.drawMs = -1;
  const data = alignSeries(series);
  drawn = { series, data };
  const onZoom = (from: number, until: number) => ((state = { ...state, from: String(from), until: String(until) }), changed());
  if (series.length === 0) {
    chart?.destroy();
    chart = null;
  } else
    void loadChart()
      .then(({ drawChart }) => {
        if (drawn?.series === series) chart = drawChart($("chart"), series, series.map((_, i) => colorOf(i)), data, onZoom, chart, () => void (window.torus.drawMs = performance.now() - started));
      })
      .catch(showError);
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
  // The tree first: its first level is what the page is waiting to show.
  const tree = $("tree") as HTMLUListElement;
  wireTree(tree, treeDeps);
  void loadRoot(tree);
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
  $("status-toggle").addEventListener("click", () => {
    state = { ...state, status: !state.status };
    status.open(state.status);
    save();
    syncControls();
  });
  for (const tab of ["tree", "tags"] as const)
    $(`tab-${tab}`).addEventListener("click", () => {
      state = { ...state, tab };
      save();
      syncControls();
    });
  window.torus.tags = wireTagPicker((target) => {
    if (!state.targets.includes(target)) state = { ...state, targets: [...state.targets, target] };
    changed();
  }, showError);
  whenAnswered(() => void ($("banner").hidden || hideBanner()));
  status.open(state.status);
  void setupFunctions().catch(showError);
  setupSearch();
  renderTargets();
  syncControls();
  void refresh();
}

/** The tree's first level; when it is first drawn is the page's "ready" figure. */
async function loadRoot(tree: HTMLUListElement): Promise<void> {
  try {
    await loadLevel(tree, "*", treeDeps);
    if (window.torus.treeMs === null) requestAnimationFrame(() => void (window.torus.treeMs = performance.now()));
  } catch (err) {
    showError(err);
  }
}

setup();
