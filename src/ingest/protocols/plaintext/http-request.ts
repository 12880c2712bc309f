/**
 * A browser or proxy talking to the Carbon port: its first line is an HTTP
 * request line, and parsing the headers as points would store garbage.
 *
 * @module
 */

/** An HTTP/1.x request line (RFC 9112 §3). */
const HTTP_REQUEST_LINE = /^(?:GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH) \S+ HTTP\/\d(?:\.\d)?\r?$/;

/** True when the first line of a connection is an HTTP request line. */
export function isHttpRequestLine(line: string): boolean {
  return HTTP_REQUEST_LINE.test(line);
}

/** The reason counted (as a bad line) for a connection closed because it spoke HTTP. */
export const HTTP_REQUEST = "http_request";
