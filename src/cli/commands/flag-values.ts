import { InvalidArgumentError } from "commander";
import { parseTime } from "../../time/time-parse.js";
import { UsageError } from "../run-cli.js";

/** A commander parser for `--concurrency`-like flags: a whole number ≥ 1. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1) throw new InvalidArgumentError("expected a positive whole number");
  return n;
}

/** A `--start`/`--end` value; one that does not parse is a usage mistake (exit 2). */
export function flagTime(value: string, flag: string, time: { now: number; timezone: string }): number {
  try {
    return parseTime(value, flag, time);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
