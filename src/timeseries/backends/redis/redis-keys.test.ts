import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../../errors.js";
import { Interval } from "../../intervals.js";
import { NameCache } from "../name-cache.js";
import { KeySpace, chunkOf, chunkSize, expiryOf, intervalOfToken, intervalToken, type NameTag } from "./redis-keys.js";
import { hashTagOf, slotOf } from "./redis-slot.js";
import { parseRedisUrl } from "./redis-url.js";

describe("redis key layout", () => {
  it.each([
    ["", "count:"],
    ["app", "app:count:"],
    ["app:", "app:count:"],
  ])("prefix %j → keys start %j", (prefix, head) => {
    const ks = new KeySpace({ prefix, type: "count" });
    expect(ks.names).toBe(`${head}names`);
    expect(ks.chunk("a.b", "minute", 120).startsWith(head)).toBe(true);
  });

  it("every key of one stat shares a slot, whatever the name holds", () => {
    for (const prefix of ["", "p", "p{x", "{pin}"]) {
      const ks = new KeySpace({ prefix, type: "set" });
      for (const name of ["plain", "{", "}", "{}", "a}b{c", "日本", ":", ""]) {
        const slots = new Set([slotOf(ks.chunk(name, "m", 0)), slotOf(ks.chunk(name, "h:x", -3600)), slotOf(ks.index(name, "m")), slotOf(ks.intervals(name))]);
        expect(slots.size, `${prefix} ${name}`).toBe(1);
      }
    }
  });

  it("keys of different names, intervals and buckets never collide", () => {
    const ks = new KeySpace({ prefix: "p", type: "count" });
    const keys = new Set<string>();
    const names = ["a", "a:b", "b", "a:1:b", "1", ""];
    const intervals = ["m", "m:1", "1", "m:1:b"];
    for (const n of names) for (const iv of intervals) for (const b of [0, 1, -1, 10]) keys.add(ks.chunk(n, iv, b));
    expect(keys.size).toBe(names.length * intervals.length * 4);
    for (const n of names) for (const iv of intervals) keys.add(ks.index(n, iv));
    for (const n of names) keys.add(ks.intervals(n));
    expect(keys.size).toBe(names.length * intervals.length * 5 + names.length);
  });

  it("a memo far smaller than the names in use stays in its bound and gives the same keys", () => {
    const memo = new NameCache<KeySpace, NameTag>(2048);
    const [small, own] = [new KeySpace({ prefix: "p", type: "count" }, memo), new KeySpace({ prefix: "p", type: "count" })];
    const names = Array.from({ length: 500 }, (_, i) => `n.${i}`);
    for (let round = 0; round < 2; round++) {
      for (const n of names) {
        expect(small.chunk(n, "m", 60)).toBe(own.chunk(n, "m", 60));
        expect(memo.bytes).toBeLessThanOrEqual(2048);
      }
    }
  });

  it("a prefix with an empty {} is refused", () => {
    expect(() => new KeySpace({ prefix: "a{}b", type: "count" })).toThrow(expect.objectContaining({ code: ErrorCodes.BAD_OPTION }));
  });

  it.each([
    ["plain", "plain"],
    ["a{b}c", "b"],
    ["a{}b{c}", "a{}b{c}"],
    ["{x", "{x"],
  ])("hash tag of %j is %j", (key, tag) => expect(hashTagOf(key)).toBe(tag));

  it("slots match Redis (CLUSTER KEYSLOT)", () => {
    expect(slotOf("foo")).toBe(12182);
    expect(slotOf("{user1000}.following")).toBe(slotOf("{user1000}.followers"));
    expect(slotOf("123456789")).toBe(0x31c3 & 0x3fff);
  });

  it("interval tokens round-trip and are length-prefixed in bytes", () => {
    for (const iv of ["m", "m:1", "日"]) expect(intervalOfToken(intervalToken(iv))).toBe(iv);
    expect(intervalToken("日")).toBe("3.日");
  });

  it("expiry: chunk end + steps × step; later than now when the writer's clock is behind", () => {
    const iv = new Interval("m", { step: 60, steps: 10 });
    expect(expiryOf(iv, 660, 0)).toBe(660 + 600);
    expect(expiryOf(iv, 660, 5_000)).toBe(5_600);
    expect(expiryOf(new Interval("f", { step: 60 }), 600, 0)).toBeNull();
  });

  it.each([
    [{ step: 60 }, 64],
    [{ step: 60, steps: 180 }, 22],
    [{ step: 60, steps: 4 }, 1],
    [{ step: 60, steps: 100_000 }, 64],
  ])("chunk size of %j is %d buckets", (spec, size) => expect(chunkSize(new Interval("x", spec))).toBe(size));

  it("chunks tile the buckets, relative and Gregorian", () => {
    const m = new Interval("m", { step: 60, steps: 80 }); // 10 buckets per chunk
    expect(chunkOf(m, 0)).toEqual([0, 600]);
    expect(chunkOf(m, 540)).toEqual([0, 600]);
    expect(chunkOf(m, 600)).toEqual([600, 1200]);
    expect(chunkOf(m, -60)).toEqual([-600, 0]);
    const monthly = new Interval("mo", { step: "monthly", steps: 24 }); // 3 months per chunk
    const feb = Date.UTC(2026, 1, 1) / 1000;
    expect(chunkOf(monthly, feb)).toEqual([Date.UTC(2026, 0, 1) / 1000, Date.UTC(2026, 3, 1) / 1000]);
  });
});

describe("redis URLs", () => {
  it.each([
    ["redis://127.0.0.1:6379/", { cluster: false, nodes: [{ host: "127.0.0.1", port: 6379 }], db: 0, tls: false }],
    ["redis://localhost", { cluster: false, nodes: [{ host: "localhost", port: 6379 }], db: 0, tls: false }],
    ["redis://:pw@h:1/2", { cluster: false, nodes: [{ host: "h", port: 1 }], db: 2, tls: false, password: "pw" }],
    ["redis://user:p%40ss@h:1", { cluster: false, nodes: [{ host: "h", port: 1 }], db: 0, tls: false, username: "user", password: "p@ss" }],
    ["rediss://h:6380/0", { cluster: false, nodes: [{ host: "h", port: 6380 }], db: 0, tls: true }],
    ["redis://[::1]:7000", { cluster: false, nodes: [{ host: "::1", port: 7000 }], db: 0, tls: false }],
    ["redis-cluster://:pw@a:1,b:2", { cluster: true, nodes: [{ host: "a", port: 1 }, { host: "b", port: 2 }], db: 0, tls: false, password: "pw" }],
  ])("%s", (url, want) => expect(parseRedisUrl(url)).toEqual(want));

  it.each(["redis://h:0", "redis://h:x", "redis://h/db", "redis://a,b", "redis-cluster://a:1/0", "redis:/h"])("bad: %s", (url) => {
    expect(() => parseRedisUrl(url)).toThrow(expect.objectContaining({ code: ErrorCodes.BAD_URL }));
  });

  it("messages never show the password", () => {
    expect(() => parseRedisUrl("redis://:secret@h:x")).toThrow(/\*\*\*/);
    expect(() => parseRedisUrl("redis://:secret@h:x")).not.toThrow(/secret/);
  });
});
