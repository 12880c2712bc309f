/**
 * The plaintext protocol's stream decoder: the HTTP request line that closes
 * a connection, wherever the reads split it, and the lines that only look
 * like one.
 */
import { describe, expect, it } from "vitest";
import { collector } from "./collecting-sink.case.js";
import { isHttpRequestLine } from "./http-request.js";
import { plaintext } from "./index.js";

describe("isHttpRequestLine", () => {
  it.each([
    ["GET / HTTP/1.1", true],
    ["POST /insert?stat=x HTTP/1.1\r", true],
    ["OPTIONS * HTTP/1.1", true],
    ["GET / HTTP/2", true],
    ["GET /x 1700000000", false],
    ["get / HTTP/1.1", false],
    ["c.web 1 1700000000", false],
    ["GET  / HTTP/1.1", false],
  ])("isHttpRequestLine(%j) is %s", (line, expected) => {
    expect(isHttpRequestLine(line)).toBe(expected);
  });
});

/** Feed `text` cut at `cut`; what the sink saw and what the decoder answered. */
function decode(text: string, cut: number) {
  const sink = collector();
  const stream = plaintext.stream(sink, { maxLineLength: 4096 });
  const bytes = Buffer.from(text);
  // As the TCP receiver does: after a close, nothing more of the connection is pushed.
  const first = stream.push(bytes.subarray(0, cut));
  const close = first ?? stream.push(bytes.subarray(cut));
  if (close === null) stream.end();
  return { events: sink.events, closes: close === null ? [] : [close] };
}

describe("plaintext stream", () => {
  const http = "POST /submit HTTP/1.1\r\nHost: localhost:2003\r\n\r\nevil.stat 1 100\n";
  it("refuses an HTTP request wherever the first read ends, before parsing anything", () => {
    for (let cut = 0; cut <= http.length; cut++) {
      const { events, closes } = decode(http, cut);
      expect(events, `cut at ${cut}`).toEqual([]);
      expect(closes, `cut at ${cut}`).toEqual([{ reason: "http_request", message: "HTTP request on the Carbon port; closing the connection", detail: { line: "POST /submit HTTP/1.1" } }]);
    }
  });

  it("hands on Carbon lines that only look HTTP-ish, wherever the reads split them, and counts what it holds", () => {
    const text = "GET 1 100\nPOST.x 2 100";
    for (let cut = 0; cut <= text.length; cut++) {
      const { events, closes } = decode(text, cut);
      expect(closes).toEqual([]);
      expect(events.map((e) => (e.kind === "point" ? `${e.name}=${e.value}@${e.timestamp}` : e.reason))).toEqual(["GET=1@100", "POST.x=2@100"]);
    }
    const stream = plaintext.stream(collector(), { maxLineLength: 4096 });
    stream.push(Buffer.from("no newline yet"));
    expect(stream.pendingBytes).toBe(14);
  });
});
