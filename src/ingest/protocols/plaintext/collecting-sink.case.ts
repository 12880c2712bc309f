/** Test helper: a plaintext sink that records every point and bad line in order. */
import type { BadLineReason, PlaintextSink } from "./plaintext-parser.js";

export type Event =
  | { kind: "point"; name: string; value: string; timestamp: number }
  | { kind: "bad"; reason: BadLineReason; excerpt: string };

export function collector(): PlaintextSink & { events: Event[] } {
  const events: Event[] = [];
  return {
    events,
    point(name, value, timestamp) {
      events.push({ kind: "point", name, value, timestamp });
    },
    bad(reason, excerpt) {
      events.push({ kind: "bad", reason, excerpt });
    },
  };
}
