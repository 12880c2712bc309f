/**
 * Flush ids (`WriteBatch.flushId`): `writer:seq`. The writer part is new at
 * every process start (random, plus the pid for whoever reads a store's
 * record of them), so two processes, or one restarted, never reuse an id;
 * the sequence counts this process's flushes.
 */
import { randomBytes } from "node:crypto";

/** This process's writer id. */
export const WRITER_ID = `${randomBytes(6).toString("hex")}-${process.pid}`;

let seq = 0;

/** A flush id never handed out before, by this process or any other. */
export function nextFlushId(): string {
  return `${WRITER_ID}:${++seq}`;
}
