import { describe, expect, it } from "vitest";
import { RESTART_BACKOFF, restartDelay, workerCount } from "./worker-supervisor.js";

describe("restartDelay", () => {
  it.each([
    [0, 1000],
    [1, 2000],
    [2, 4000],
    [4, 16_000],
    [5, 30_000],
    [100, 30_000],
  ])("after %i quick deaths in a row: %i ms", (deaths, ms) => {
    expect(restartDelay(deaths, RESTART_BACKOFF)).toBe(ms);
  });
});

describe("workerCount", () => {
  it.each([["1", 1], ["64", 64], [undefined, 1]])("%j → %i", (raw, n) => expect(workerCount(raw)).toBe(n));
  it.each(["0", "65", "1.5", "two", ""])("rejects %j", (raw) => expect(() => workerCount(raw)).toThrow(/--workers: expected a whole number from 1 to 64/));
});
