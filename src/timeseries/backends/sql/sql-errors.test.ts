import { describe, expect, it } from "vitest";
import { StoreError } from "../../errors.js";
import { describeError, secretsOf, storeError } from "./sql-errors.js";

describe("secretsOf", () => {
  it.each([
    ["postgresql://u:pw@h:5432/db", ["pw"]],
    ["mysql://u:p%40ss@h/db", ["p%40ss", "p@ss"]],
    ["postgres://u@h/db", []],
    ["mysql://u:@h/db", []],
    ["mysql://h:3306/db", []],
    ["postgresql://u:bad%zz@h/db", ["bad%zz"]],
  ])("%s → %j", (url, want) => {
    expect(secretsOf(url)).toEqual(want);
  });
});

describe("describeError", () => {
  const refused = Object.assign(new AggregateError([new Error("connect ECONNREFUSED ::1:1"), new Error("connect ECONNREFUSED 127.0.0.1:1")], ""), { code: "ECONNREFUSED" });
  it.each([
    [new Error("plain"), "plain"],
    [new Error("line one\n  line two\n"), "line one; line two"],
    [refused, "connect ECONNREFUSED ::1:1; connect ECONNREFUSED 127.0.0.1:1"],
    [Object.assign(new Error(""), { code: "ETIMEDOUT" }), "ETIMEDOUT"],
    ["a string", "a string"],
    [undefined, "undefined"],
  ])("%s → %s", (err, want) => {
    expect(describeError(err)).toBe(want);
  });
});

describe("storeError", () => {
  it("names the redacted URL, scrubs every form of the password, keeps one line", () => {
    const err = storeError("mysql://u:***@h/db", ["p%40ss", "p@ss"], "write failed", new Error("auth p@ss\nand p%40ss"), true);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toBe("mysql://u:***@h/db: write failed: auth ***; and ***");
    expect(err.retryable).toBe(true);
  });

  it("passes a StoreError through untouched", () => {
    const inner = new StoreError("x://h", "already one", { retryable: false });
    expect(storeError("y://h", [], "write failed", inner, true)).toBe(inner);
  });
});
