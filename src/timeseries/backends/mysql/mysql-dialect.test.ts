import { describe, expect, it } from "vitest";
import { mysqlDialect } from "./mysql-dialect.js";

const serverError = (errno: number, code: string) => Object.assign(new Error(code), { errno, code, sqlState: "HY000" });

describe("MySQL errors worth retrying", () => {
  it.each([
    ["deadlock", serverError(1213, "ER_LOCK_DEADLOCK"), true],
    ["lock wait timeout", serverError(1205, "ER_LOCK_WAIT_TIMEOUT"), true],
    ["too many connections", serverError(1040, "ER_CON_COUNT_ERROR"), true],
    ["server shutdown", serverError(1053, "ER_SERVER_SHUTDOWN"), true],
    ["connection killed", serverError(1927, "ER_CONNECTION_KILLED"), true],
    ["network: refused", Object.assign(new Error("connect ECONNREFUSED"), { errno: -111, code: "ECONNREFUSED", fatal: true }), true],
    ["network: lost", Object.assign(new Error("Connection lost"), { code: "PROTOCOL_CONNECTION_LOST", fatal: true }), true],
  ])("%s → retry", (_label, err, want) => {
    expect(mysqlDialect.retryable(err)).toBe(want);
  });

  it.each([
    ["access denied", serverError(1045, "ER_ACCESS_DENIED_ERROR")],
    ["unknown database", serverError(1049, "ER_BAD_DB_ERROR")],
    ["data too long (member over 2048 bytes)", serverError(1406, "ER_DATA_TOO_LONG")],
    ["syntax", serverError(1064, "ER_PARSE_ERROR")],
    ["a bug in our code", new TypeError("x is undefined")],
  ])("%s → fail", (_label, err) => {
    expect(mysqlDialect.retryable(err)).toBe(false);
  });
});

describe("MySQL upserts", () => {
  it("are one multi-row INSERT whose rows the driver expands from one nested array", () => {
    const rows = [[1, 2, 60, 0, 1.5], [1, 2, 120, 0, 2]];
    const q = mysqlDialect.upsert("`p_count`", "count", rows);
    expect(q.text).toBe("INSERT INTO `p_count` (name_id, interval_id, bucket, sub, value) VALUES ? ON DUPLICATE KEY UPDATE value = value + VALUES(value)");
    expect(q.values).toEqual([rows]);
  });

  it("quote identifiers with backquotes", () => {
    expect(mysqlDialect.ident("a`b")).toBe("`a``b`");
  });
});
