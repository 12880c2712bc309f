/** The whole view, kept in the page's query string so a URL shares it. */
export interface ViewState { targets: string[]; from: string; until: string; refresh: "off" | "10s" | "1min"; heatmap: string; tab: "tree" | "tags"; status: boolean }

const REFRESH = ["off", "10s", "1min"] as const;

export function readState(search: string): ViewState {
  const p = new URLSearchParams(search);
  const refresh = p.get("refresh");
  return {
    targets: p.getAll("target").filter((t) => t.trim() !== ""),
    from: p.get("from") || "-1h",
    until: p.get("until") || "now",
    heatmap: p.get("heatmap") ?? "",
    tab: p.get("tab") === "tags" ? "tags" : "tree",
    status: p.get("status") === "1",
    refresh: (REFRESH as readonly string[]).includes(refresh ?? "") ? (refresh as ViewState["refresh"]) : "off",
  };
}

export function writeState(s: ViewState): string {
  const p = new URLSearchParams();
  for (const t of s.targets) p.append("target", t);
  p.set("from", s.from);
  p.set("until", s.until);
  if (s.refresh !== "off") p.set("refresh", s.refresh);
  if (s.heatmap !== "") p.set("heatmap", s.heatmap);
  if (s.tab !== "tree") p.set("tab", s.tab);
  if (s.status) p.set("status", "1");
  return `?${p}`;
}

export const refreshMs = (r: ViewState["refresh"]) => (r === "10s" ? 10_000 : r === "1min" ? 60_000 : 0);
