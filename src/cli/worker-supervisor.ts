import cluster, { type Worker } from "node:cluster";
import type { Logger } from "../logging/logger.js";
import { UsageError } from "./run-cli.js";

export interface Supervisor {
  /** The live workers. */
  workers(): Worker[];
  /** Resolves once every worker has exited after a stop signal. */
  readonly stopped: Promise<number>;
}

export interface SuperviseOptions {
  count: number;
  logger: Logger;
  /** What the processes are, for log lines ("karbon", "torus"). */
  label: string;
  /** Called for each worker forked, including replacements. */
  onFork?: (worker: Worker) => void;
  /** Called before the workers are told to stop (e.g. to close the primary's own ports). */
  onStop?: () => Promise<void> | void;
  /** Restart backoff: first delay, cap, and how long a worker must live to reset it (ms). */
  backoff?: { initialMs: number; maxMs: number; stableMs: number };
}

/** 1 s doubling to 30 s; a worker that stayed up 30 s resets it. */
export const RESTART_BACKOFF = { initialMs: 1000, maxMs: 30_000, stableMs: 30_000 };

/**
 * The delay before replacing a worker that died after `livedMs`, given how
 * many died quickly in a row before it: a worker that keeps dying at start
 * (a store down, a port taken) is restarted less and less often instead of
 * in a fork loop, and one that had run for a while is replaced after the
 * first delay again.
 */
export function restartDelay(quickDeaths: number, backoff = RESTART_BACKOFF): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(quickDeaths, 30));
}

/**
 * The primary of `--workers N`: forks the workers, forwards SIGHUP, starts
 * another when one dies (logged, after a backoff that grows while workers
 * keep dying young), and on SIGTERM/SIGINT stops them all and exits
 * with the worst exit code (non-zero if one could not store what it accepted).
 */
export function superviseWorkers(options: SuperviseOptions): Supervisor {
  const { count, logger, label } = options;
  let stopping = false;
  let worst = 0;
  let resolveStopped: (code: number) => void = () => {};
  const stopped = new Promise<number>((r) => (resolveStopped = r));
  const backoff = options.backoff ?? RESTART_BACKOFF;
  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  const started = new Map<Worker, number>();
  const pending = new Set<NodeJS.Timeout>();
  let quickDeaths = 0;
  const fork = () => {
    const worker = cluster.fork();
    started.set(worker, Date.now());
    options.onFork?.(worker);
  };
  for (let i = 0; i < count; i++) fork();
  cluster.on("exit", (worker, code, signal) => {
    const lived = Date.now() - (started.get(worker) ?? Date.now());
    started.delete(worker);
    if (stopping) {
      worst = Math.max(worst, code ?? 1);
      if (live().length === 0) resolveStopped(worst);
      return;
    }
    if (lived >= backoff.stableMs) quickDeaths = 0;
    const delay = restartDelay(quickDeaths, backoff);
    quickDeaths++;
    logger.error({ pid: worker.process.pid, code, signal, livedMs: lived, restartInMs: delay }, `${label} worker died; starting another`);
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (!stopping) fork();
    }, delay);
    pending.add(timer);
  });
  process.on("SIGHUP", () => {
    for (const w of live()) w.process.kill("SIGHUP");
  });
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const t of pending) clearTimeout(t);
    pending.clear();
    logger.info({ signal, workers: count }, `stopping ${label} workers`);
    await options.onStop?.();
    const workers = live();
    if (workers.length === 0) resolveStopped(0);
    for (const w of workers) w.process.kill("SIGTERM");
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  void stopped.then((code) => process.exit(code));
  logger.info({ workers: count }, `${label} workers starting`);
  return { workers: live, stopped };
}

/** `--workers`: a whole number from 1 to 64. */
export function workerCount(value: string | undefined, flag = "--workers"): number {
  const n = Number(value ?? "1");
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`${flag}: expected a whole number from 1 to 64, got ${JSON.stringify(value)}`);
  return n;
}
