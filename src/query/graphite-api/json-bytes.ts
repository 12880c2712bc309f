/**
 * A growing byte buffer for the `/render` JSON body: ASCII text, whole numbers and Python float reprs
 * written as bytes in place, so a million-point answer makes no string per point and is sent as is
 * (its length known, nothing to encode).
 */
import { pyFloat } from "../../graphite/series.js";

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6];

export class JsonBytes {
  buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(Math.max(256, size));
  }

  /** Room for `n` more bytes. */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** ASCII (or Latin-1) text. */
  text(s: string): void {
    this.room(s.length);
    this.pos += this.buf.write(s, this.pos, "latin1");
  }

  byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  /** A whole number 0 ≤ n < 2^53, in decimal (no room check: the caller made room for 16). */
  private digits(n: number): void {
    const b = this.buf;
    let len = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) len++;
    let at = this.pos + len;
    this.pos = at;
    do {
      const q = Math.floor(n / 10);
      b[--at] = 48 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /** A safe integer, as JavaScript's String() writes it. */
  int(n: number): void {
    if (!Number.isSafeInteger(n) || Object.is(n, -0)) return this.text(String(n));
    this.room(17);
    if (n < 0) {
      this.buf[this.pos++] = 45;
      n = -n;
    }
    this.digits(n);
  }

  /**
   * Python's `repr(float)` of a finite number (what `pyRepr` gives). Whole numbers below 2^53 and
   * numbers under 1e9 with at most six decimals are written digit by digit: the fewest decimals k whose
   * `m / 10^k` reads back as the value is the shortest round-trip text (below 1e9 a double's spacing is
   * under 1e-6, so no other k-decimal number reads back), which is what Python and JavaScript both print.
   */
  float(v: number): void {
    const a = v < 0 ? -v : v;
    if (a >= 1e-4 && a < 1e9) {
      for (let k = 0; k <= 6; k++) {
        const p = POW10[k];
        const m = Math.round(a * p);
        if (m / p !== a) continue;
        this.room(24);
        if (v < 0) this.buf[this.pos++] = 45;
        const ip = Math.floor(m / p);
        this.digits(ip);
        this.buf[this.pos++] = 46;
        if (k === 0) {
          this.buf[this.pos++] = 48;
          return;
        }
        let frac = m - ip * p;
        const b = this.buf;
        for (let i = k - 1; i >= 0; i--) {
          const q = Math.floor(frac / 10);
          b[this.pos + i] = 48 + (frac - q * 10);
          frac = q;
        }
        this.pos += k;
        return;
      }
    } else if (a >= 1e9 && a < 9007199254740992 && Number.isInteger(a)) {
      this.room(24);
      if (v < 0) this.buf[this.pos++] = 45;
      this.digits(a);
      this.buf[this.pos++] = 46;
      this.buf[this.pos++] = 48;
      return;
    }
    const a2 = Math.abs(v);
    this.text(a2 >= 1e-4 && a2 < 1e16 ? (Number.isInteger(v) ? `${v}.0` : String(v)) : pyFloat(v));
  }

  /** The bytes written (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
