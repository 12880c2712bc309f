/**
 * The pickle decoder alone against the plaintext one: 500,000 points in
 * 500-point protocol-2 frames as carbon-relay sends them, and the same points
 * as plaintext lines, pushed in 64 KiB chunks; ns per point for each, six runs.
 *
 *   npx tsx bench/pickle-decode.ts
 */
import { frame, pickleBatch } from "../src/ingest/protocols/pickle/pickle-encoder.case.js";
import { PickleStream } from "../src/ingest/protocols/pickle/pickle-stream.js";
import { PlaintextStream } from "../src/ingest/protocols/plaintext/plaintext-stream.js";
const N = 500_000, NOW = 1_700_000_000;
const lines: string[] = [];
for (let i = 0; i < N; i++) lines.push(`stats.app.host${i % 100}.metric${i % 10000} ${i % 97} ${NOW + (i % 60)}\n`);
const frames: Buffer[] = [];
for (let k = 0; k < N; k += 500) frames.push(frame(pickleBatch(lines.slice(k, k + 500).map((l) => { const [name, v, ts] = l.trimEnd().split(" "); return { name, value: Number(v), timestamp: Number(ts) }; }), "python2")));
const pk = Buffer.concat(frames), pt = Buffer.from(lines.join(""));
let n = 0;
const sink = { point() { n++; }, bad() {} };
const limits = { maxPickleFrame: 1 << 20, maxLineLength: 4096, maxPoints: 1e9 } as any;
function chunks(b: Buffer) { const out = []; for (let i = 0; i < b.length; i += 65536) out.push(b.subarray(i, i + 65536)); return out; }
const ck = chunks(pk), ct = chunks(pt);
for (let r = 0; r < 6; r++) {
  n = 0; let a = performance.now(); const s1 = new PickleStream(sink as any, limits); for (const c of ck) s1.push(c); const tp = performance.now() - a;
  n = 0; a = performance.now(); const s2 = new PlaintextStream(sink as any, limits); for (const c of ct) s2.push(c); const tt = performance.now() - a;
  console.log(`pickle ${(tp * 1e6 / N).toFixed(0)} ns/pt  plaintext ${(tt * 1e6 / N).toFixed(0)} ns/pt  (${n})`);
}
