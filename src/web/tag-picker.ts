import { ServerError, findSeries, tagNames, tagValues } from "./api.js";

/** What the picker holds and last read, for tests and the curious (window.torus.tags). */
export interface TagView { exprs: string[]; names: string[]; values: string[]; matches: string[]; error: string }

export const OPERATORS = ["=", "!=", "=~", "!=~"] as const;

/** `seriesByTag('a=b', ...)`: each expression quoted with a quote it does not hold; null when one holds both. */
export function seriesByTagTarget(exprs: readonly string[]): string | null {
  const quoted = exprs.map((e) => (!e.includes("'") ? `'${e}'` : !e.includes('"') ? `"${e}"` : null));
  return quoted.some((q) => q === null) ? null : `seriesByTag(${quoted.join(",")})`;
}

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function fillList(list: HTMLDataListElement, values: readonly string[]): void {
  list.replaceChildren(...values.map((v) => Object.assign(document.createElement("option"), { value: v })));
}

/** Debounce what a key press asks the server: the last one wins. */
function debounced(f: () => Promise<void>, ms: number): () => void {
  let t: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (t) clearTimeout(t);
    t = setTimeout(() => void f(), ms);
  };
}

/**
 * The tagged-series picker: tag and value inputs completed from
 * `/tags/autoComplete/*` (narrowed by the expressions already chosen), the
 * chosen `tag=value` expressions, the series they match, and a button that
 * plots `seriesByTag(...)` through `onPlot`.
 */
export function wireTagPicker(onPlot: (target: string) => void, onError: (err: unknown) => void): TagView {
  const view: TagView = { exprs: [], names: [], values: [], matches: [], error: "" };
  const name = el<HTMLInputElement>("tag-name");
  const op = el<HTMLSelectElement>("tag-op");
  const value = el<HTMLInputElement>("tag-value");
  const error = el<HTMLElement>("tag-error");
  const plot = el<HTMLButtonElement>("tag-plot");
  op.replaceChildren(...OPERATORS.map((o) => Object.assign(document.createElement("option"), { value: o, textContent: o })));
  // The server's answer to a bad expression is shown here; an unreachable server goes to the page's banner.
  const fail = (err: unknown) => {
    if (!(err instanceof ServerError)) return onError(err);
    view.error = err.message;
    error.textContent = err.message;
  };
  const guarded = (f: () => Promise<void>) => async () => {
    try {
      await f();
    } catch (err) {
      fail(err);
    }
  };
  // Only the answer to the latest question is shown: an earlier, slower one must not replace it.
  let namesAsked = 0, valuesAsked = 0;
  const completeNames = guarded(async () => {
    const mine = ++namesAsked;
    const names = await tagNames(name.value.trim(), view.exprs);
    if (mine !== namesAsked) return;
    fillList(el("tag-names"), (view.names = names));
  });
  const completeValues = guarded(async () => {
    const mine = ++valuesAsked;
    const tag = name.value.trim();
    const values = tag === "" ? [] : await tagValues(tag, value.value.trim(), view.exprs);
    if (mine !== valuesAsked) return;
    fillList(el("tag-values"), (view.values = values));
  });
  const refreshMatches = guarded(async () => {
    error.textContent = view.error = "";
    // graphite needs one expression that matches a value (a plain = or =~): until then there is nothing to list.
    view.matches = view.exprs.some((e) => /^[^!=~]+=/.test(e)) ? await findSeries(view.exprs) : [];
    const list = el<HTMLUListElement>("tag-matches");
    const shown = view.matches.slice(0, 20).map((m) => Object.assign(document.createElement("li"), { textContent: m }));
    if (view.matches.length > 20) shown.push(Object.assign(document.createElement("li"), { textContent: `… ${view.matches.length - 20} more` }));
    list.replaceChildren(...shown);
    el("tag-count").textContent = view.exprs.length === 0 ? "" : `${view.matches.length} series`;
    plot.disabled = view.matches.length === 0;
  });
  const renderExprs = () => {
    el<HTMLUListElement>("tag-exprs").replaceChildren(
      ...view.exprs.map((e, i) => {
        const li = document.createElement("li");
        const text = Object.assign(document.createElement("code"), { textContent: e });
        const remove = Object.assign(document.createElement("button"), { type: "button", textContent: "×", title: "remove" });
        remove.addEventListener("click", () => {
          view.exprs = view.exprs.filter((_, j) => j !== i);
          renderExprs();
          void refreshMatches();
        });
        li.append(text, remove);
        return li;
      }),
    );
  };
  name.addEventListener("input", debounced(completeNames, 120));
  name.addEventListener("focus", () => void completeNames());
  name.addEventListener("change", () => void completeValues());
  value.addEventListener("input", debounced(completeValues, 120));
  value.addEventListener("focus", () => void completeValues());
  el("tag-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const tag = name.value.trim();
    if (tag === "" || /[;!^=~]/.test(tag)) return void (error.textContent = view.error = `a tag name may not be empty or hold ; ! ^ = ~ (got ${JSON.stringify(tag)})`);
    const expr = `${tag}${op.value}${value.value.trim()}`;
    if (!view.exprs.includes(expr)) view.exprs = [...view.exprs, expr];
    name.value = value.value = "";
    renderExprs();
    void refreshMatches();
    name.focus();
  });
  plot.disabled = true;
  plot.addEventListener("click", () => {
    const target = seriesByTagTarget(view.exprs);
    if (target === null) return void (error.textContent = view.error = "an expression holds both ' and \": it cannot be quoted in seriesByTag");
    onPlot(target);
  });
  return view;
}
