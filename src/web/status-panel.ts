import { karbonStatus, type KarbonStatus } from "./api.js";
import { formatValue } from "./legend-stats.js";

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** A table from rows of text cells (text only: a stat name is never markup). */
function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>, label: string): HTMLTableElement {
  const t = document.createElement("table");
  t.setAttribute("aria-label", label);
  const tr = t.createTHead().insertRow();
  for (const h of head) tr.appendChild(Object.assign(document.createElement("th"), { textContent: h }));
  const body = t.createTBody();
  for (const r of rows) {
    const row = body.insertRow();
    for (const c of r) row.insertCell().textContent = c;
  }
  if (rows.length === 0) body.insertRow().insertCell().textContent = "none";
  return t;
}

function figure(label: string, value: string, id: string): HTMLElement {
  const d = document.createElement("div");
  d.className = "figure";
  d.dataset.figure = id;
  d.append(Object.assign(document.createElement("b"), { textContent: value }), Object.assign(document.createElement("span"), { textContent: label }));
  return d;
}

const count = (n: number) => n.toLocaleString("en-US");
const ms = (v: number | null) => (v === null ? "–" : `${formatValue(v)} ms`);

/** Draw one status reading into the panel. */
export function drawStatus(s: KarbonStatus): void {
  const panel = el("status-body");
  if (!s.available) {
    panel.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: s.message }));
    return;
  }
  const reasons = Object.entries(s.badLines.byReason).sort((a, b) => b[1] - a[1]);
  const stores = [...new Set([...Object.keys(s.buffer), ...Object.keys(s.flush)])].sort();
  panel.replaceChildren(
    Object.assign(document.createElement("p"), { className: "muted", textContent: `karbon ${s.source === "in-process" ? "in this process" : `at ${s.source}`}, read ${new Date(s.at * 1000).toLocaleTimeString()}` }),
    Object.assign(document.createElement("div"), { className: "figures" }),
    table(["bad lines by reason", "lines"], reasons.map(([r, n]) => [r, count(n)]), "bad lines"),
    table(["store", "buffer rows", "flushes", "mean", "p99 ≤", "failures"], stores.map((st) => { const f = s.flush[st]; return [st, count(s.buffer[st] ?? 0), count(f?.count ?? 0), ms(f?.meanMs ?? null), ms(f?.p99Ms ?? null), count(f?.failures ?? 0)]; }), "stores"),
    table(["top dead letters (no schema)", "points"], s.deadLetters.top.map((d) => [d.name, count(d.count)]), "dead letters"),
  );
  panel.querySelector(".figures")!.append(
    figure("points/s", s.points.perSecond === null ? "…" : formatValue(s.points.perSecond), "rate"),
    figure("points received", count(s.points.total), "points"),
    figure("bad lines", count(s.badLines.total), "bad"),
    figure("dead letters", count(s.deadLetters.total), "dead"),
  );
}

/** The status panel: read when opened, then every `everyMs` while it stays open. */
export function wireStatus(onRead: (s: KarbonStatus) => void, onError: (err: unknown) => void, everyMs = 5000): { open(on: boolean): void } {
  let timer: ReturnType<typeof setInterval> | null = null;
  const read = async () => {
    try {
      const s = await karbonStatus();
      drawStatus(s);
      onRead(s);
    } catch (err) {
      onError(err);
    }
  };
  return {
    open(on) {
      el("status").hidden = !on;
      if (timer) clearInterval(timer);
      timer = null;
      if (!on) return;
      void read();
      timer = setInterval(() => void read(), everyMs);
    },
  };
}
