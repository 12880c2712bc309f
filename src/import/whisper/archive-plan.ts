import type { Calendar } from "../../timeseries/index.js";
import type { WhisperHeader } from "./whisper-format.js";
import { readArchive } from "./whisper-reader.js";

const DAY = 86_400;

/**
 * Whether whisper points of `step` seconds fall whole into the buckets of
 * `cal`: its length is a multiple of the step (Gregorian buckets start at
 * UTC midnight and last whole days, so a step that divides a day will do).
 */
export function stepDivides(step: number, cal: Calendar): boolean {
  return cal.gregorian ? DAY % step === 0 : cal.seconds % step === 0;
}

/** The points one interval receives from a file, oldest archive's first, and which archives gave them. */
export interface PlannedPoints {
  /** Indexes of the archives read (finest first). */
  readonly archives: number[];
  readonly times: number[];
  readonly values: number[];
}

/**
 * The points of every archive whose step divides the interval's finest
 * bucket `sub`, each archive keeping only the time its finer neighbour does
 * not cover: archive j covers its own retention window (as whisper-fetch
 * sees it at `until`, the file's last update) up to where the finer archive's
 * window starts, rounded up to archive j's step so no coarse point is cut in
 * two (the finer archive gives up that partial step). Where windows overlap
 * the finest archive wins, as whisper-fetch answers from the finest archive
 * whose retention covers the range. Null when no archive's step divides.
 */
export function planPoints(buf: Buffer, header: WhisperHeader, until: number, sub: Calendar): PlannedPoints | null {
  const eligible: number[] = [];
  header.archives.forEach((a, i) => {
    if (stepDivides(a.secondsPerPoint, sub)) eligible.push(i);
  });
  if (eligible.length === 0) return null;
  const lower: number[] = [];
  const upper: number[] = [];
  eligible.forEach((idx, j) => {
    const a = header.archives[idx];
    const s = a.secondsPerPoint;
    const windowStart = until - (until % s) - (a.points - 1) * s;
    if (j === 0) {
      upper.push(Infinity);
    } else {
      const u = Math.ceil(lower[j - 1] / s) * s;
      upper.push(u);
      lower[j - 1] = Math.max(lower[j - 1], u);
    }
    lower.push(windowStart);
  });
  const times: number[] = [];
  const values: number[] = [];
  for (let j = eligible.length - 1; j >= 0; j--) {
    const pts = readArchive(buf, header.archives[eligible[j]], until);
    const lo = lower[j];
    const hi = upper[j];
    for (let k = 0; k < pts.times.length; k++) {
      const t = pts.times[k];
      if (t >= lo && t < hi) {
        times.push(t);
        values.push(pts.values[k]);
      }
    }
  }
  return { archives: eligible, times, values };
}
