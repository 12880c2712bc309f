import type { Config } from "../config/index.js";
import { Router } from "../routing/router.js";
import { canonicalTaggedName, isTaggedName, TaggedNameError } from "../graphite/tags/tagged-name.js";

function describeSchema(config: Config, i: number, stat: string): string {
  const s = config.schemas[i];
  let result = stat;
  if (s.transform) {
    try {
      const t = s.transform(stat, "1");
      result = !t || t[0] === null || t[0] === undefined ? "(skipped by transform)" : `${t[0]} (transformed)`;
    } catch (err) {
      result = `(transform failed: ${(err as Error).message})`;
    }
  }
  return `${s.name} (${s.type}) ${s.host} -> ${result}`;
}

/**
 * Which schemas (with their host and transform result) and which aggregates
 * a stat name hits, recursively, indented — the seed's schema_debug.
 * Pure: config in, text out; it opens no store.
 */
export function schemaDebug(config: Config, strings: readonly string[]): string {
  const router = new Router(config.schemas, config.aggregates);
  const out: string[] = [];
  for (const given of strings) {
    // A tagged name is routed in its canonical form, as karbon does.
    let input = given;
    if (isTaggedName(given)) {
      try {
        input = canonicalTaggedName(given);
      } catch (err) {
        if (!(err instanceof TaggedNameError)) throw err;
        out.push(`${given}\n  (bad tag: ${err.message})`);
        continue;
      }
    }
    const route = router.route(input);
    const print = (idx: number, depth: number) => {
      const step = route[idx];
      const pad = "  ".repeat(depth);
      out.push(`${pad}${step.stat}`);
      if (step.schemas.length === 0) out.push(`${pad}  (no schema: dead letter)`);
      for (const i of step.schemas) out.push(`${pad}  schema ${describeSchema(config, i, step.stat)}`);
      for (let r = 0; r < config.aggregates.length; r++) {
        const rollup = config.aggregates[r].apply(step.stat);
        if (rollup === null) continue;
        const child = route.findIndex((s) => s.from === idx && s.rule === r);
        out.push(`${pad}  aggregate ${config.aggregates[r].label}${child === -1 ? ` -> ${rollup} (already reached: not counted twice)` : ""}`);
        if (child !== -1) print(child, depth + 2);
      }
    };
    print(0, 0);
  }
  return out.join("\n") + "\n";
}
