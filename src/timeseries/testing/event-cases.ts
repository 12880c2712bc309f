/**
 * The conformance suite's event cases: every store's event log against the
 * in-memory reference (EventModel). Registered by `conformanceSuite`
 * through its `it`, so a target can skip one by name like any other test.
 */
import fc from "fast-check";
import { expect, type TestFunction } from "vitest";
import type { EventLog, NewEvent, Store } from "../store.js";
import { EventModel } from "./event-model.js";

const NOW = Date.UTC(2026, 2, 1, 12, 34, 56) / 1000;

function logOf(store: Store): EventLog {
  expect(store.events, "the store keeps no events (Store.events)").toBeDefined();
  return store.events!;
}

const ev = (when: number, what: string, tags: string[] = [], data = ""): NewEvent => ({ when, what, data, tags });

export function eventCases(it: (name: string, fn: TestFunction) => void, store: () => Store, prefix: () => string): void {
  it("events: add, get, range by when with both bounds inclusive, delete; ids increase and are never reused", async () => {
    const log = logOf(store());
    const p = prefix();
    const model = new EventModel();
    const adds = [ev(NOW, "deploy", ["prod", "web"], "v1.2"), ev(NOW - 3600, "older"), ev(NOW, "same second"), ev(NOW + 0.25, "fraction", ["x"]), ev(NOW + 7200, "later")];
    for (const e of adds) expect(model.add(await log.add(p, e), e), "ids increase").toBe(true);
    for (const [from, until] of [[NOW, NOW], [NOW - 3600, NOW], [0, NOW + 1e6], [NOW + 0.1, NOW + 0.3], [NOW + 1, NOW + 7199], [NOW + 8000, NOW + 9000]]) {
      expect(await log.range(p, from, until), `range ${from}..${until}`).toEqual(model.range(from, until));
    }
    expect(await log.range(p, NOW, NOW)).toHaveLength(2);
    const [first] = model.range(NOW, NOW);
    expect(await log.get(p, first.id)).toEqual(first);
    expect(await log.get(p, 999_999_999)).toBeNull();
    expect(await log.delete(p, first.id)).toBe(true);
    model.delete(first.id);
    expect(await log.delete(p, first.id), "a second delete finds nothing").toBe(false);
    expect(await log.get(p, first.id)).toBeNull();
    expect(await log.range(p, 0, NOW + 1e6)).toEqual(model.range(0, NOW + 1e6));
    // Deleting the newest must not hand its id out again.
    const newest = Math.max(...model.ids());
    await log.delete(p, newest);
    model.delete(newest);
    const again = ev(NOW, "after deletes");
    const id = await log.add(p, again);
    expect(id).toBeGreaterThan(newest);
    model.add(id, again);
    expect(await log.range(p, 0, NOW + 1e6)).toEqual(model.range(0, NOW + 1e6));
  });

  it("events: text round-trips exactly, and each prefix keeps a log of its own", async () => {
    const log = logOf(store());
    const [a, b] = [prefix(), prefix()];
    const odd = ev(NOW, `déploiement "v2" 'quoted' \\ back\nnew line 🚀 ${"x".repeat(300)}`, ["ünïcode", "a-b_c.d", "🚀", "x".repeat(50)], `{"json": [1, 2]}\t${"d".repeat(100_000)}`);
    const idA = await log.add(a, odd);
    const idB = await log.add(b, ev(NOW, "other log"));
    expect(await log.get(a, idA)).toEqual({ id: idA, ...odd });
    expect(await log.range(a, NOW, NOW)).toEqual([{ id: idA, ...odd }]);
    expect((await log.range(b, NOW, NOW)).map((e) => e.what)).toEqual(["other log"]);
    if (idA !== idB) expect(await log.get(a, idB)).toBeNull();
    expect(await log.range(prefix(), 0, NOW * 2), "a prefix never written").toEqual([]);
    expect(await log.delete(prefix(), idA)).toBe(false);
    expect(await log.get(a, idA)).not.toBeNull();
  });

  it("events: property: random adds and deletes read back as the reference model", async () => {
    const log = logOf(store());
    const op = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), when: fc.oneof(fc.integer({ min: NOW - 50, max: NOW + 50 }), fc.double({ min: NOW - 50, max: NOW + 50, noNaN: true })), what: fc.string({ maxLength: 12 }), tags: fc.uniqueArray(fc.constantFrom("a", "b", "prod", "web"), { maxLength: 3 }) }),
      fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("range" as const), from: fc.integer({ min: NOW - 60, max: NOW + 60 }), span: fc.integer({ min: 0, max: 80 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const p = prefix();
        const model = new EventModel();
        for (const o of ops) {
          if (o.kind === "add") {
            const e = ev(o.when, o.what, [...o.tags].sort(), "d");
            expect(model.add(await log.add(p, e), e)).toBe(true);
          } else if (o.kind === "delete") {
            const ids = model.ids();
            const id = ids.length === 0 ? 12345 : ids[o.pick % ids.length];
            expect(await log.delete(p, id)).toBe(model.delete(id));
          } else {
            expect(await log.range(p, o.from, o.from + o.span)).toEqual(model.range(o.from, o.from + o.span));
          }
        }
        expect(await log.range(p, NOW - 100, NOW + 100)).toEqual(model.range(NOW - 100, NOW + 100));
      }),
      { numRuns: 15, seed: 7 },
    );
  });
}
