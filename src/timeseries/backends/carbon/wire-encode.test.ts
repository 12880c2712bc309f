import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RelayPoint } from "./relay-point.js";
import { encodeLines, encodePickleFrame } from "./wire-encode.js";

/** Python's own pickle.loads of each frame (length prefix checked), as JSON: what Carbon's receiver would see. */
function pythonDecode(frames: Buffer[]): unknown[] {
  const script = `
import sys, json, pickle, struct, base64
out = []
for line in sys.stdin:
    raw = base64.b64decode(line)
    (n,) = struct.unpack("!L", raw[:4])
    assert n == len(raw) - 4, (n, len(raw))
    out.append([[name, [ts, value]] for name, (ts, value) in pickle.loads(raw[4:])])
    assert all(type(ts) is int and type(v) is float and type(name) is str for name, (ts, v) in pickle.loads(raw[4:]))
print(json.dumps(out))
`;
  const input = frames.map((f) => f.toString("base64")).join("\n") + "\n";
  return JSON.parse(execFileSync("/usr/bin/python3", ["-c", script], { input, encoding: "utf8" }));
}

const asJson = (points: readonly RelayPoint[]) => points.map((p) => [p.name, [p.ts, p.value]]);

describe("pickle frames", () => {
  it("decode in Python to the list of (name, (timestamp, value)) carbon-relay sends", () => {
    const points: RelayPoint[] = [
      { name: "a.b", ts: 1_700_000_000, value: 1.5 },
      { name: "servers.wéb1.cpu", ts: 0, value: -2 },
      { name: "big.ts", ts: 2 ** 33, value: 1e300 },
      { name: "neg.ts", ts: -5, value: 0.1 },
    ];
    expect(pythonDecode([encodePickleFrame(points)])).toEqual([asJson(points)]);
  });

  it("an empty batch is an empty list", () => {
    expect(pythonDecode([encodePickleFrame([])])).toEqual([[]]);
  });

  it("any names, timestamps and finite values round-trip through Python's unpickler", () => {
    const point = fc.record({
      name: fc.string({ minLength: 1, maxLength: 40, unit: "grapheme" }),
      ts: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      value: fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
    });
    const batches = fc.sample(fc.array(point, { maxLength: 20 }), { numRuns: 200, seed: 13 });
    expect(pythonDecode(batches.map(encodePickleFrame))).toEqual(batches.map(asJson));
  });
});

describe("plaintext lines", () => {
  it("are `name value timestamp`, one per point, each ended by a newline", () => {
    const text = encodeLines([
      { name: "a.b", ts: 1_700_000_000, value: 1.5 },
      { name: "c", ts: 60, value: 1e21 },
    ]).toString("utf8");
    expect(text).toBe("a.b 1.5 1700000000\nc 1e+21 60\n");
    // Carbon reads the value with float(): check Python agrees.
    const parsed = execFileSync("/usr/bin/python3", ["-c", "import sys\nfor l in sys.stdin: n, v, t = l.split(); print(n, float(v), int(t))"], { input: text, encoding: "utf8" });
    expect(parsed).toBe("a.b 1.5 1700000000\nc 1e+21 60\n");
  });
});
