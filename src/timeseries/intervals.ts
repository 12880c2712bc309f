import { ErrorCodes, TorusError, quote } from "./errors.js";

/**
 * Interval math. Every step (and resolution) is a calendar: it numbers the
 * buckets (`index(t)`), gives each bucket's start, and its length in seconds.
 * Relative steps number whole steps since the epoch; Gregorian steps number
 * UTC days, ISO weeks (Monday first), months or years.
 */
export interface Calendar {
  /** As written in the configuration, for messages and `properties`. */
  readonly spec: string | number;
  readonly gregorian: boolean;
  /** Nominal length in seconds (a month counts 31 days, a year 366: used for TTLs). */
  readonly seconds: number;
  /** Bucket number holding Unix time `t` (seconds). */
  index(t: number): number;
  /** Start (Unix seconds) of bucket number `i`. */
  start(i: number): number;
  /** Length of bucket `i` in seconds (whole days for Gregorian buckets). */
  duration(i: number): number;
}

const DAY = 86_400;
const UNITS: Record<string, number> = { s: 1, h: 3_600, d: DAY, w: 7 * DAY, m: 30 * DAY, y: 365 * DAY };
export const GREGORIAN = ["daily", "weekly", "monthly", "yearly"] as const;
export type GregorianStep = (typeof GREGORIAN)[number];
const SPAN = /^\s*(\d+)\s*([shdwmy]?)\s*$/;

function relative(seconds: number, spec: string | number): Calendar {
  return {
    spec,
    gregorian: false,
    seconds,
    index: (t) => Math.floor(t / seconds),
    start: (i) => i * seconds,
    duration: () => seconds,
  };
}

// 1970-01-01 was a Thursday: shifting by 3 days makes ISO weeks start on Monday.
const WEEK_SHIFT = 3 * DAY;

function gregorian(step: GregorianStep): Calendar {
  switch (step) {
    case "daily":
      return { ...relative(DAY, step), gregorian: true };
    case "weekly":
      return {
        spec: step,
        gregorian: true,
        seconds: 7 * DAY,
        index: (t) => Math.floor((t + WEEK_SHIFT) / (7 * DAY)),
        start: (i) => i * 7 * DAY - WEEK_SHIFT,
        duration: () => 7 * DAY,
      };
    case "monthly": {
      const start = (i: number) => daysFromCivil(Math.floor(i / 12), i - Math.floor(i / 12) * 12 + 1, 1) * DAY;
      return {
        spec: step,
        gregorian: true,
        seconds: 31 * DAY,
        index: (t) => {
          const [y, m] = civilFromDays(Math.floor(t / DAY));
          return y * 12 + m - 1;
        },
        start,
        duration: (i) => start(i + 1) - start(i),
      };
    }
    case "yearly": {
      const start = (i: number) => daysFromCivil(i, 1, 1) * DAY;
      return {
        spec: step,
        gregorian: true,
        seconds: 366 * DAY,
        index: (t) => civilFromDays(Math.floor(t / DAY))[0],
        start,
        duration: (i) => start(i + 1) - start(i),
      };
    }
  }
}

// Calendar arithmetic without Date objects (H. Hinnant's civil algorithms): the ingest path
// maps every point to monthly and yearly buckets, and a Date per point is measurable there.
const civil: [number, number, number] = [0, 0, 0];

/** Days since 1970-01-01 → [year, month 1-12, day 1-31] (a shared tuple: copy it to keep it). */
export function civilFromDays(z: number): [number, number, number] {
  z += 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  civil[0] = yoe + era * 400 + (m <= 2 ? 1 : 0);
  civil[1] = m;
  civil[2] = d;
  return civil;
}

/** [year, month 1-12, day] → days since 1970-01-01. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * Parse a step or resolution: seconds (`60`, `"60"`), `Ns`/`Nh`/`Nd`/`Nw`,
 * `Nm` (30 days), `Ny` (365 days), or `daily`/`weekly`/`monthly`/`yearly`.
 * `field` names the place in the configuration for the error message.
 */
export function parseCalendar(value: unknown, field: string, code: typeof ErrorCodes.BAD_INTERVAL | typeof ErrorCodes.BAD_RESOLUTION = ErrorCodes.BAD_INTERVAL): Calendar {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value > 0) return relative(value, value);
  } else if (typeof value === "string") {
    if ((GREGORIAN as readonly string[]).includes(value)) return gregorian(value as GregorianStep);
    const m = SPAN.exec(value);
    if (m) {
      const seconds = Number(m[1]) * UNITS[m[2] || "s"];
      if (seconds > 0 && Number.isSafeInteger(seconds)) return relative(seconds, value);
    }
  }
  throw new TorusError(
    code,
    `${field}: cannot parse ${quote(value)} (use whole seconds, Nh/Nd/Nw/Nm/Ny, or daily/weekly/monthly/yearly)`,
    { field, value },
  );
}

/** An interval as configured: `{ step, steps?, resolution? }`. */
export interface IntervalSpec {
  step: number | string;
  steps?: number | null;
  resolution?: number | string | null;
}

/**
 * One configured interval of a schema: its step calendar, optional finer
 * resolution calendar and retention.
 */
export class Interval {
  readonly name: string;
  readonly step: Calendar;
  /** Null when the interval has no sub-buckets. */
  readonly resolution: Calendar | null;
  /** Retention in buckets; null keeps everything. */
  readonly steps: number | null;
  /** Seconds per bucket / sub-bucket when they are plain multiples since the epoch (0 otherwise): the hot path's shortcut. */
  private readonly fixedStep: number;
  private readonly fixedSub: number;

  constructor(name: string, spec: IntervalSpec, field = `interval ${quote(name)}`) {
    if (spec === null || typeof spec !== "object") {
      throw new TorusError(ErrorCodes.BAD_INTERVAL, `${field}: expected { step, steps?, resolution? }, got ${quote(spec)}`, { field, value: spec });
    }
    this.name = name;
    this.step = parseCalendar(spec.step, `${field}: step`);
    const steps = spec.steps;
    if (steps !== undefined && steps !== null && !(Number.isInteger(steps) && steps > 0)) {
      throw new TorusError(ErrorCodes.BAD_STEPS, `${field}: steps must be a positive whole number, got ${quote(steps)}`, { field: `${field}: steps`, value: steps });
    }
    this.steps = steps ?? null;
    this.resolution = spec.resolution === undefined || spec.resolution === null || spec.resolution === spec.step
      ? null
      : parseCalendar(spec.resolution, `${field}: resolution`, ErrorCodes.BAD_RESOLUTION);
    if (this.resolution) checkNesting(this.step, this.resolution, field);
    // Daily is a plain multiple of 86,400 s; weeks, months and years are not.
    const plain = (c: Calendar) => (!c.gregorian || c.spec === "daily" ? c.seconds : 0);
    this.fixedStep = plain(this.step);
    this.fixedSub = this.resolution ? plain(this.resolution) : this.fixedStep;
  }

  /** Start of the bucket holding `t`. */
  bucketOf(t: number): number {
    const s = this.fixedStep;
    return s > 0 ? Math.floor(t / s) * s : this.step.start(this.step.index(t));
  }

  /** Start of the sub-bucket holding `t` (the bucket's start without a resolution). */
  subOf(t: number): number {
    const r = this.fixedSub;
    if (r > 0) return Math.floor(t / r) * r;
    return this.resolution ? this.resolution.start(this.resolution.index(t)) : this.step.start(this.step.index(t));
  }

  /** Lowest bucket index still inside retention at time `now` (-Infinity without `steps`). */
  firstLiveIndex(now: number): number {
    return this.steps === null ? -Infinity : this.step.index(now) - this.steps + 1;
  }

  /**
   * Bucket starts of a range by kairos's rules: no start/end gives the
   * `steps` buckets ending at now; only start gives `steps` buckets from it;
   * only end gives `steps` buckets up to it; both give every bucket between.
   */
  range(opts: { start?: number | null; end?: number | null; steps?: number | null }, now: number): number[] {
    const steps = opts.steps ?? this.steps ?? 1;
    const cal = this.step;
    let first: number;
    let last: number;
    const hasStart = opts.start !== undefined && opts.start !== null;
    const hasEnd = opts.end !== undefined && opts.end !== null;
    if (hasStart && hasEnd) {
      first = cal.index(opts.start as number);
      last = cal.index(opts.end as number);
    } else if (hasStart) {
      first = cal.index(opts.start as number);
      last = first + steps - 1;
    } else {
      last = cal.index(hasEnd ? (opts.end as number) : now);
      first = last - steps + 1;
    }
    const out: number[] = [];
    for (let i = first; i <= last; i++) out.push(cal.start(i));
    return out;
  }

  /** Sub-bucket starts inside the bucket starting at `bucket`. */
  subsOf(bucket: number): number[] {
    if (!this.resolution) return [bucket];
    const end = bucket + this.step.duration(this.step.index(bucket));
    const out: number[] = [];
    for (let i = this.resolution.index(bucket); this.resolution.start(i) < end; i++) out.push(this.resolution.start(i));
    return out;
  }

  /** Length in seconds of the bucket starting at `bucket`. */
  durationOf(bucket: number): number {
    return this.step.duration(this.step.index(bucket));
  }

  /** Length in seconds of the sub-bucket starting at `sub`. */
  subDurationOf(sub: number): number {
    const cal = this.resolution ?? this.step;
    return cal.duration(cal.index(sub));
  }

  /** Time `t` moved `n` buckets along, keeping its offset inside the bucket (clamped to the target bucket). */
  shift(t: number, n: number): number {
    const cal = this.step;
    const i = cal.index(t);
    const offset = t - cal.start(i);
    const target = cal.start(i + n);
    return target + Math.min(offset, cal.duration(i + n) - 1);
  }
}

/** Sub-buckets must tile their bucket exactly, or a sub-bucket would belong to two buckets. */
function checkNesting(step: Calendar, res: Calendar, field: string): void {
  const fail = (why: string): never => {
    throw new TorusError(ErrorCodes.BAD_RESOLUTION, `${field}: resolution ${quote(res.spec)} ${why} step ${quote(step.spec)}`, {
      field: `${field}: resolution`,
      value: res.spec,
    });
  };
  if (!res.gregorian && !step.gregorian) {
    if (res.seconds >= step.seconds || step.seconds % res.seconds !== 0) fail("must divide and be finer than");
  } else if (!res.gregorian) {
    if (DAY % res.seconds !== 0) fail("must divide a day to nest in Gregorian");
  } else if (!step.gregorian) {
    fail("cannot be Gregorian inside relative");
  } else {
    const order = GREGORIAN.indexOf(res.spec as GregorianStep) - GREGORIAN.indexOf(step.spec as GregorianStep);
    const nests = order < 0 && !(res.spec === "weekly" && step.spec !== "weekly");
    if (!nests) fail("does not nest inside");
  }
}
