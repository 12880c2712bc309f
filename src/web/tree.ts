import { find, type FindNode } from "./api.js";

export interface TreeDeps {
  /** A leaf was chosen (click or Enter). */
  onPick: (path: string) => void;
  isPlotted: (path: string) => boolean;
  onError: (err: unknown) => void;
}

/** One node's row; names are set as text, never markup. */
function row(node: FindNode, deps: TreeDeps, full: boolean): HTMLLIElement {
  const li = document.createElement("li");
  li.setAttribute("role", "treeitem");
  li.dataset.path = node.id;
  const label = document.createElement("span");
  label.textContent = full ? node.id : node.text;
  label.tabIndex = -1;
  if (node.leaf) {
    li.dataset.leaf = "1";
    if (deps.isPlotted(node.id)) label.classList.add("plotted");
  } else li.setAttribute("aria-expanded", "false");
  return li.appendChild(label), li;
}

/** Fill `ul` with what `query` matches: one level, read when opened; search results show full names. */
export async function loadLevel(ul: HTMLUListElement, query: string, deps: TreeDeps, full = false): Promise<void> {
  const nodes = await find(query);
  const frag = document.createDocumentFragment();
  for (const n of nodes) frag.appendChild(row(n, deps, full));
  ul.replaceChildren(frag);
}

/** Take over rows the server wrote into the page (the same as `row` makes): only what depends on the view is set here. */
export function adoptLevel(ul: HTMLUListElement, deps: TreeDeps): void {
  for (const li of ul.querySelectorAll<HTMLLIElement>(":scope > li[data-leaf]")) if (deps.isPlotted(li.dataset.path!)) li.firstElementChild!.classList.add("plotted");
}

async function toggle(li: HTMLLIElement, deps: TreeDeps, open?: boolean): Promise<void> {
  const expanded = li.getAttribute("aria-expanded") === "true";
  const want = open ?? !expanded;
  if (want === expanded) return;
  li.setAttribute("aria-expanded", String(want));
  let ul = li.querySelector(":scope > ul") as HTMLUListElement | null;
  if (!want) return void ul?.remove();
  ul = document.createElement("ul");
  ul.setAttribute("role", "group");
  li.appendChild(ul);
  try {
    await loadLevel(ul, `${li.dataset.path}.*`, deps);
  } catch (err) {
    deps.onError(err);
  }
}

const visible = (root: HTMLElement) => [...root.querySelectorAll<HTMLElement>("li > span")];

/** Click and keyboard (↑ ↓ move, → opens, ← closes or goes up, Enter picks) on the tree. */
export function wireTree(root: HTMLUListElement, deps: TreeDeps): void {
  const activate = (span: HTMLElement) => {
    const li = span.parentElement as HTMLLIElement;
    if (li.dataset.leaf) deps.onPick(li.dataset.path!);
    if (li.hasAttribute("aria-expanded")) void toggle(li, deps);
  };
  root.addEventListener("click", (e) => {
    const span = (e.target as HTMLElement).closest("li > span") as HTMLElement | null;
    if (!span) return;
    span.focus();
    activate(span);
  });
  root.addEventListener("keydown", (e) => {
    const span = document.activeElement as HTMLElement;
    if (!root.contains(span) || span.tagName !== "SPAN") return;
    const li = span.parentElement as HTMLLIElement;
    const all = visible(root);
    const i = all.indexOf(span);
    if (e.key === "ArrowDown") all[i + 1]?.focus();
    else if (e.key === "ArrowUp") all[i - 1]?.focus();
    else if (e.key === "ArrowRight" && li.hasAttribute("aria-expanded")) void toggle(li, deps, true);
    else if (e.key === "ArrowLeft") {
      if (li.getAttribute("aria-expanded") === "true") void toggle(li, deps, false);
      else (li.parentElement?.closest("li")?.querySelector(":scope > span") as HTMLElement | null)?.focus();
    } else if (e.key === "Enter") activate(span);
    else return;
    e.preventDefault();
  });
}

/** What to ask /metrics/find for a search box's text: as typed when it holds a glob, else a prefix match. */
export function searchQuery(text: string): string {
  const t = text.trim();
  return /[*?[{]/.test(t) ? t : `${t}*`;
}
