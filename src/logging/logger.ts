import { pino, type Logger } from "pino";

export type { Logger };

/**
 * The structured logger (JSON lines on stderr, so stdout stays for tools'
 * output). `DEBUG` 1 opens the debug level, 2 the trace level.
 */
export function createLogger(name: string, debug: 0 | 1 | 2 = 0, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino({ name, level: levelFor(debug), base: { pid: process.pid } }, pino.destination({ dest: (destination as { fd?: number }).fd ?? 2, sync: true }));
}

export function levelFor(debug: 0 | 1 | 2): "info" | "debug" | "trace" {
  return debug >= 2 ? "trace" : debug >= 1 ? "debug" : "info";
}
