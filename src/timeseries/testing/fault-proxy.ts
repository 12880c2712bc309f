/**
 * A TCP proxy for tests that makes a store's outcome ambiguous: on
 * loopback between a client and a server, it forwards bytes both ways
 * until it sees a chosen request in the client's stream (COMMIT, a script
 * call), forwards that request, and then cuts the connection before the
 * server's answer reaches the client. The server did (or may have done)
 * the work; the client only sees a dropped connection and retries.
 *
 * Requests are recognised by their bytes on the wire, so the proxy knows
 * nothing of any driver: {@link COMMIT_PATTERNS} and {@link SCRIPT_PATTERNS}
 * are what PostgreSQL, MySQL and Redis clients send.
 */
import { createServer, Socket, type AddressInfo, type Server } from "node:net";

/**
 * `COMMIT` as a client sends it: PostgreSQL's simple Query message
 * (`Q`, int32 length 11, the text and a NUL) and MySQL's COM_QUERY packet
 * (3-byte length 7, sequence 0, command 0x03, the text).
 */
export const COMMIT_PATTERNS = {
  postgres: Buffer.from("Q\u0000\u0000\u0000\u000bCOMMIT\u0000", "latin1"),
  mysql: Buffer.from("\u0007\u0000\u0000\u0000\u0003COMMIT", "latin1"),
} as const;

/** A Redis script call in RESP (`$7\r\nevalsha\r\n`, `$4\r\neval\r\n`), as ioredis writes the command name. */
export const SCRIPT_PATTERNS = [Buffer.from("$7\r\nevalsha\r\n"), Buffer.from("$4\r\neval\r\n"), Buffer.from("$7\r\nEVALSHA\r\n"), Buffer.from("$4\r\nEVAL\r\n")];

export interface FaultProxyOptions {
  /** Where the real server listens (loopback). */
  target: { host: string; port: number };
  /** Byte sequences that trigger a cut when armed; found even when split across chunks. */
  patterns: readonly Buffer[];
}

/** How a cut is made once the request is forwarded. */
export type CutMode =
  /** Wait for the server's first reply bytes, swallow them, close both sides: the server surely did the work. */
  | "after-reply"
  /** Close both sides at once: the server gets the request and then end of stream, and may or may not finish it. */
  | "at-once"
  /** Never forward the request, close both sides: the server did not do it (rolls the transaction back). */
  | "drop-request";

export interface FaultProxy {
  /** The port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** Cut the connection at the next request matching a pattern (one cut per arm). */
  arm(mode?: CutMode): void;
  /** Forget an arm that found no request to cut. */
  disarm(): void;
  /** True while armed and not yet triggered. */
  readonly armed: boolean;
  /** Cuts made so far. */
  readonly cuts: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Where `pattern` starts in `hay`, or -1. */
function find(hay: Buffer, patterns: readonly Buffer[]): number {
  let best = -1;
  for (const p of patterns) {
    const at = hay.indexOf(p);
    if (at >= 0 && (best < 0 || at < best)) best = at;
  }
  return best;
}

/** Start a proxy on a free loopback port. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const keep = Math.max(...options.patterns.map((p) => p.length)) - 1;
  let armed: CutMode | null = null;
  let cuts = 0;
  let connections = 0;
  const open = new Set<Socket>();

  const server: Server = createServer((client) => {
    connections++;
    const upstream = new Socket();
    open.add(client);
    open.add(upstream);
    const both = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", () => {
      open.delete(client);
      upstream.end();
    });
    upstream.on("close", () => {
      open.delete(upstream);
      client.destroy();
    });
    client.on("error", both);
    upstream.on("error", both);
    // Client bytes held until upstream connects.
    const pending: Buffer[] = [];
    let connected = false;
    /** Set once this connection is to be cut: server bytes are swallowed from then on. */
    let cutting: CutMode | null = null;
    /** The last bytes of the client stream, so a pattern split across chunks is still seen. */
    let tail: Buffer = Buffer.alloc(0);

    const toServer = (chunk: Buffer) => {
      if (connected) upstream.write(chunk);
      else pending.push(chunk);
    };

    client.on("data", (chunk: Buffer) => {
      if (cutting) return; // nothing more reaches the server once the request that is cut was sent
      if (armed) {
        const hay = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
        const at = find(hay, options.patterns);
        if (at >= 0) {
          cutting = armed;
          armed = null;
          cuts++;
          if (cutting === "drop-request") {
            // What came before the request still goes: the server sees the transaction, then end of stream.
            if (at > tail.length) toServer(chunk.subarray(0, at - tail.length));
            upstream.end();
            client.destroy();
            return;
          }
          toServer(chunk);
          if (cutting === "at-once") {
            upstream.end();
            client.destroy();
          }
          return;
        }
        tail = hay.subarray(Math.max(0, hay.length - keep));
      } else {
        tail = Buffer.alloc(0);
      }
      toServer(chunk);
    });

    upstream.on("data", (chunk: Buffer) => {
      if (cutting) {
        // The answer to the cut request (and anything after it) never reaches the client.
        both();
        return;
      }
      client.write(chunk);
    });

    upstream.connect(options.target.port, options.target.host, () => {
      connected = true;
      for (const c of pending) upstream.write(c);
      pending.length = 0;
      if (cutting === "at-once" || cutting === "drop-request") upstream.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    arm(mode: CutMode = "after-reply") {
      armed = mode;
    },
    disarm() {
      armed = null;
    },
    get armed() {
      return armed !== null;
    },
    get cuts() {
      return cuts;
    },
    get connections() {
      return connections;
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
