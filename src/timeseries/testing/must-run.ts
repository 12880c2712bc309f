/**
 * The one place that decides when a test may skip for want of a server or
 * a binary: never under CI (`CI=true`), where a missing store fails the run
 * loudly; elsewhere it skips with a notice naming what is missing.
 */

/** True under CI: every store's tests (and every test needing a binary) must run, and fail when they cannot. */
export const REQUIRED = process.env.CI === "true";

/**
 * Whether to run tests that need `what`: true when it is there, or under CI
 * (the tests then run and fail on the missing server). Otherwise prints a
 * loud notice with `why` and `hint` and returns false.
 */
export function shouldRun(what: string, available: boolean, why: string, hint = ""): boolean {
  if (available) return true;
  if (REQUIRED) return true;
  console.warn(`\n!!! SKIPPING ${what} tests: ${why}.${hint ? ` ${hint}` : ""} CI=true never skips.\n`);
  return false;
}

