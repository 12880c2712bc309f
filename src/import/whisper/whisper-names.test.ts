import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findWhisperFiles, metricName } from "./whisper-names.js";

const dir = mkdtempSync(join(tmpdir(), "torus-whisper-names-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("whisper file names", () => {
  it("turns a relative path into a metric name", () => {
    expect(metricName(join("servers", "web1", "cpu.wsp"))).toBe("servers.web1.cpu");
    expect(metricName("top.wsp")).toBe("top");
  });

  it("walks directories for *.wsp, names files by the directory given or --root", async () => {
    mkdirSync(join(dir, "w", "servers", "web1"), { recursive: true });
    writeFileSync(join(dir, "w", "servers", "web1", "cpu.wsp"), "");
    writeFileSync(join(dir, "w", "servers", "web1", "notes.txt"), "");
    writeFileSync(join(dir, "w", "top.wsp"), "");
    symlinkSync(join(dir, "w", "top.wsp"), join(dir, "w", "linked.wsp"));
    symlinkSync(join(dir, "w"), join(dir, "w", "servers", "loop"));
    expect((await findWhisperFiles([join(dir, "w")])).map((s) => s.name)).toEqual(["linked", "servers.web1.cpu", "top"]);
    expect((await findWhisperFiles([join(dir, "w", "servers")])).map((s) => s.name)).toEqual(["web1.cpu"]);
    await expect(findWhisperFiles([join(dir, "nope")])).rejects.toThrow(`${join(dir, "nope")}: no such file or directory`);
    expect((await findWhisperFiles([join(dir, "w", "servers", "web1", "cpu.wsp")])).map((s) => s.name)).toEqual(["cpu"]);
    expect((await findWhisperFiles([join(dir, "w", "servers", "web1", "cpu.wsp")], join(dir, "w"))).map((s) => s.name)).toEqual(["servers.web1.cpu"]);
  });
});
