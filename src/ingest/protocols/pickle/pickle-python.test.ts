/**
 * The decoder against Python's own unpickler as carbon's receiver runs it
 * (`encoding="utf-8"`; globals and persistent ids refused, as a safe one must): for real pickles with bytes changed or cut,
 * whenever this decoder accepts a frame, Python reads the same value from
 * it, and the points handed on are the ones carbon would take from that
 * value (after karbon's own checks on names and timestamps). Being stricter
 * than Python is allowed; being more lenient, or reading other data, is not.
 */
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pickle } from "./index.js";

const LIMITS = { maxPickleFrame: 1 << 20, maxLineLength: 4096 };

/** What Python says a pickle holds, element by element: [name, timestamp, value] with typed numbers, or null for an element that is no point. */
type PyScalar = ["s", string] | ["i", string] | ["f", string] | ["b"];
type PyResult = { error: string } | { top: null } | { points: Array<[PyScalar, PyScalar, PyScalar] | null> };

const PYTHON = String.raw`
import io, json, pickle, struct, sys
class Safe(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError("global")
    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persid")
def scalar(v):
    if isinstance(v, bool) or isinstance(v, int):
        return ["i", str(int(v))]
    if isinstance(v, float):
        return ["f", struct.pack(">d", v).hex()]
    if isinstance(v, str):
        return ["s", v]
    if isinstance(v, bytes):
        try:
            return ["s", v.decode("utf-8")]
        except UnicodeDecodeError:
            return ["b"]
    return None
for line in sys.stdin:
    data = bytes.fromhex(line.strip())
    try:
        f = io.BytesIO(data)
        top = Safe(f, encoding="utf-8").load()  # as carbon's receiver unpickles
        if f.read():
            raise pickle.UnpicklingError("bytes after STOP")
    except BaseException as e:
        print(json.dumps({"error": type(e).__name__}))
        continue
    if not isinstance(top, (list, tuple)):
        print(json.dumps({"top": None}))
        continue
    out = []
    for raw in top:
        point = None
        if isinstance(raw, (list, tuple)) and len(raw) == 2 and isinstance(raw[1], (list, tuple)) and len(raw[1]) == 2:
            name, ts, value = scalar(raw[0]), scalar(raw[1][0]), scalar(raw[1][1])
            if name is not None and ts is not None and value is not None:
                point = [name, ts, value]
        out.append(point)
    print(json.dumps({"points": out}))
`;

function number(s: PyScalar): number | null {
  if (s[0] === "i") return Number(s[1]);
  if (s[0] === "f") return Buffer.from(s[1], "hex").readDoubleBE(0);
  return null;
}

/** The events karbon's rules give for what Python read. */
function expectedEvents(r: PyResult): string[] {
  if ("top" in r) return ["BAD"];
  if (!("points" in r)) throw new Error("an error has no events");
  return r.points.map((p) => {
    if (p === null) return "BAD";
    const [name, ts, value] = p;
    if (name[0] !== "s" || name[1].length === 0 || name[1].length > LIMITS.maxLineLength || /[ \t\r\n]/.test(name[1])) return "BAD";
    if (value[0] === "b" || ts[0] === "b") return "BAD";
    const t = ts[0] === "s" ? (/^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/.test(ts[1]) ? Number(ts[1]) : NaN) : number(ts)!;
    if (!(t >= 0 && t < 2 ** 53)) return "BAD";
    const v = value[0] === "s" ? value[1] : String(number(value));
    return `${name[1]}=${v}@${Math.trunc(t) + 0}`;
  });
}

function ours(body: Buffer): { closed: string | null; events: string[] } {
  const events: string[] = [];
  const s = pickle.stream({ point: (n, v, t) => events.push(`${n}=${v}@${t}`), bad: () => events.push("BAD") }, LIMITS);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  const close = s.push(Buffer.concat([head, body]));
  return { closed: close?.reason ?? null, events };
}

describe("pickle: agreement with Python's unpickler", () => {
  it("every frame accepted here is read the same by Python", () => {
    const seeds = execFileSync("/usr/bin/python3", [
      "-c",
      `import pickle, sys
data = [('a.b', (1700000000, 1.5)), ('c.d', (1700000060.25, 'x y')), ('e', (1, 2**40)), ('a.b', (3, None)), (u'\\u6307', (4, -7)), ('f', [5, 6]), ['g', (7, True)]]
for p in (0, 1, 2, 3, 4, 5):
    # Python 3 bytes pickle as a call below protocol 3 (refused): only from 3 on are they data.
    sys.stdout.write(pickle.dumps(data + ([(b'h', (8, 9))] if p >= 3 else []), protocol=p).hex() + "\\n")`,
    ])
      .toString()
      .trim()
      .split("\n")
      .map((h) => Buffer.from(h, "hex"));
    const mutated = fc.sample(
      fc.tuple(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        fc.option(fc.nat(), { freq: 4 }),
      ),
      { numRuns: 3000, seed: 20261201 },
    ).map(([seed, edits, cut]) => {
      const b = Buffer.from(seed);
      for (const [i, v] of edits) b[i % b.length] = v;
      return cut === null ? b : b.subarray(0, 1 + (cut % b.length));
    });
    const cases = [...seeds, ...mutated];
    const results: PyResult[] = execFileSync("/usr/bin/python3", ["-c", PYTHON], { input: cases.map((c) => c.toString("hex")).join("\n") + "\n", maxBuffer: 1 << 26, stdio: ["pipe", "pipe", "ignore"] })
      .toString()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    let accepted = 0;
    cases.forEach((body, i) => {
      const mine = ours(body);
      if (mine.closed !== null) return;
      accepted++;
      const py = results[i];
      expect(py, `accepted ${body.toString("hex")}`).not.toHaveProperty("error");
      expect(mine.events, body.toString("hex")).toEqual(expectedEvents(py));
    });
    // The unchanged pickles are accepted, and enough of the changed ones to mean something.
    for (const seed of seeds) expect(ours(seed).closed).toBeNull();
    expect(accepted).toBeGreaterThan(100);
  });
});
