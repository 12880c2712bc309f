import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers.js";

/** Run `torus ARGS` from source to completion. */
function torus(args: string[], timeout = 30_000) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "torus-main.ts"), ...args], { cwd: ROOT, encoding: "utf8", timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("torus --help", () => {
  it.each([[[]], [["web"]], [["start"]], [["migrate"]], [["query"]]])("torus %j --help exits 0 with usage", (sub) => {
    const r = torus([...sub, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: torus/);
  });

  it("lists every command", () => {
    const r = torus(["--help"]);
    for (const c of ["web", "start", "migrate", "query", "--tcp", "--config"]) expect(r.stdout).toContain(c);
  });
});

// Mistakes, with their exit codes, for every command: test/cli-errors.test.ts.
