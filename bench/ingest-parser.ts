/**
 * Micro-benchmark of the plaintext protocol layer alone: framing + parsing,
 * through the protocol's stream and datagram decoders as the receivers call
 * them, no sockets, no routing. The whole ingest path must sustain > 1.5M lines/s
 * on one core, so this part has to be far faster than that.
 *
 * Each scenario runs twice: names as strings (a sink with `point` only) and
 * names by id (a {@link NameIdSink} over a {@link NameTable}, as karbon's
 * dispatcher is), the table kept across runs as karbon keeps it.
 *
 * Run: `npx tsx bench/ingest-parser.ts [lines] [--only <text>]` (default
 * 2,000,000; `--only` keeps the scenarios whose name contains the text).
 */
import { plaintext } from "../src/ingest/protocols/plaintext/index.js";
import { DEFAULT_MAX_LINE_LENGTH } from "../src/ingest/protocols/plaintext/line-framer.js";
import { NameTable } from "../src/ingest/protocols/plaintext/name-table.js";
import type { NameIdSink, PlaintextSink } from "../src/ingest/protocols/plaintext/plaintext-parser.js";

const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : "";
const LINES = Number(/^\d+$/.test(process.argv[2] ?? "") ? process.argv[2] : 2_000_000);
const CHUNK = 64 * 1024;
const DATAGRAM = 1400; // a typical UDP payload under the Ethernet MTU
const RUNS = 5;
const LIMITS = { maxLineLength: DEFAULT_MAX_LINE_LENGTH };

/** Counts, and touches what it gets so the work cannot be optimised away. */
function makeSink(): PlaintextSink & { points: number; bads: number; checksum: number } {
  const sink = {
    points: 0,
    bads: 0,
    checksum: 0,
    point(name: string, value: string, timestamp: number) {
      sink.points++;
      sink.checksum += name.length + value.length + (timestamp & 0xff);
    },
    bad() {
      sink.bads++;
    },
  };
  return sink;
}

type Counting = PlaintextSink & { points: number; bads: number; checksum: number };

/** The same counts by name id. */
function makeIdSink(names: NameTable): Counting & NameIdSink {
  const sink = {
    names,
    points: 0,
    bads: 0,
    checksum: 0,
    point(name: string, value: string, timestamp: number) {
      sink.points++;
      sink.checksum += name.length + value.length + (timestamp & 0xff);
    },
    pointNumber(id: number, num: number, _buf: Buffer, _vs: number, _ve: number, timestamp: number) {
      sink.points++;
      sink.checksum += id + num + (timestamp & 0xff);
    },
    pointText(id: number, value: string, timestamp: number) {
      sink.points++;
      sink.checksum += id + value.length + (timestamp & 0xff);
    },
    bad() {
      sink.bads++;
    },
  };
  return sink;
}

function buildStream(line: (k: number) => string): Buffer {
  const parts: string[] = [];
  for (let k = 0; k < LINES; k++) parts.push(line(k));
  return Buffer.from(parts.join(""), "utf8");
}

/** Cut at fixed offsets, ignoring line boundaries, as TCP reads would. */
function chunks(stream: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < stream.length; pos += size) out.push(stream.subarray(pos, pos + size));
  return out;
}

/** Whole lines packed into datagrams of at most `size` bytes. */
function datagrams(stream: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < stream.length) {
    let end = Math.min(pos + size, stream.length);
    if (end < stream.length) end = stream.lastIndexOf(0x0a, end - 1) + 1;
    out.push(stream.subarray(pos, end));
    pos = end;
  }
  return out;
}

interface Scenario {
  name: string;
  stream: Buffer;
  run(sink: PlaintextSink): void;
}

function tcp(name: string, line: (k: number) => string): Scenario {
  const stream = buildStream(line);
  const pieces = chunks(stream, CHUNK);
  return {
    name,
    stream,
    run(sink) {
      const stream = plaintext.stream(sink, LIMITS);
      for (const piece of pieces) stream.push(piece);
      stream.end();
    },
  };
}

function udp(name: string, line: (k: number) => string): Scenario {
  const stream = buildStream(line);
  const pieces = datagrams(stream, DATAGRAM);
  return {
    name,
    stream,
    run(sink) {
      const datagram = plaintext.datagram!;
      for (const piece of pieces) datagram(piece, sink, LIMITS);
    },
  };
}

const T0 = 1_764_000_000;
const scenarios: Scenario[] = [
  tcp("tcp statsd ascii", (k) => `stats_counts.app${k % 10}.feature${k % 100} ${k % 997} ${T0 + (k >> 10)}\n`),
  tcp("tcp decimal ts + \\r\\n", (k) => `stats.timers.app${k % 10}.p99 ${(k % 997) / 10} ${T0 + (k >> 10)}.${k % 1000}\r\n`),
  tcp("tcp unicode names", (k) => `stats.größe.指标${k % 100}.😀 ${k % 997} ${T0 + (k >> 10)}\n`),
  // bench/ingest.ts's one-count load, its names untagged and `--tagged` (two tags, out of canonical order).
  tcp("tcp ingest.ts names", (k) => `c.app${k % 20}.name${k % 10_000} ${(k % 7) + 1} ${T0 + (k >> 10)}\n`),
  tcp("tcp ingest.ts tagged", (k) => `c.app${k % 20}.name${k % 10_000};host=h${k % 10_000 % 50};dc=dc${k % 10_000 % 3} ${(k % 7) + 1} ${T0 + (k >> 10)}\n`),
  udp("udp statsd ascii", (k) => `stats_counts.app${k % 10}.feature${k % 100} ${k % 997} ${T0 + (k >> 10)}\n`),
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

const rows: string[][] = [["scenario", "names", "lines", "MiB", "median ms", "lines/s", "MiB/s"]];
for (const [scenario, kind] of scenarios.filter((s) => s.name.includes(ONLY)).flatMap((s) => [[s, "strings"], [s, "by id"]] as const)) {
  const table = new NameTable();
  const make = (): Counting => (kind === "strings" ? makeSink() : makeIdSink(table));
  scenario.run(make()); // warm-up: let the JIT settle
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const sink = make();
    const t = process.hrtime.bigint();
    scenario.run(sink);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (sink.points !== LINES || sink.bads !== 0) throw new Error(`${scenario.name}: ${sink.points} points, ${sink.bads} bad`);
  }
  const ms = median(times);
  const mib = scenario.stream.length / 2 ** 20;
  rows.push([
    scenario.name,
    kind,
    LINES.toLocaleString("en-US"),
    mib.toFixed(1),
    ms.toFixed(1),
    Math.round((LINES / ms) * 1000).toLocaleString("en-US"),
    ((mib / ms) * 1000).toFixed(0),
  ]);
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
for (const [i, row] of rows.entries()) {
  console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
  if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
}
console.log(`node ${process.version}, ${CHUNK / 1024} KiB chunks (tcp), ${DATAGRAM}-byte datagrams (udp), median of ${RUNS} runs`);
