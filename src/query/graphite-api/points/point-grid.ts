/**
 * Which points a read covers: the interval's sub-buckets when it has a
 * resolution, else its buckets, from the first bucket's start to the end of
 * the last bucket. Points are numbered by their calendar's index, so a row's
 * point is `cal.index(sub) - firstIndex` whatever the calendar.
 */
import type { Calendar, Interval } from "../../../timeseries/index.js";

export interface PointGrid {
  /** The calendar of one point: the resolution's, or the step's. */
  readonly cal: Calendar;
  /** Calendar index of the first point. */
  readonly firstIndex: number;
  readonly length: number;
  /** Start of the first point and seconds per point. */
  readonly start: number;
  readonly step: number;
}

/** The grid of buckets first..last (bucket starts, inclusive); empty when last < first. */
export function pointGrid(iv: Interval, first: number, last: number): PointGrid {
  const cal = iv.resolution ?? iv.step;
  const firstIndex = cal.index(first);
  const lastIndex = last < first ? firstIndex - 1 : iv.resolution ? cal.index(last + iv.durationOf(last)) - 1 : cal.index(last);
  return { cal, firstIndex, length: lastIndex - firstIndex + 1, start: cal.start(firstIndex), step: cal.seconds };
}
