import { ERROR_CATALOGUE, ERROR_CODES, type ErrorArea } from "./catalogue.js";

const AREAS: ReadonlyArray<[ErrorArea, string, string]> = [
  ["library", "Storage library", "Raised by `src/timeseries` (schemas, values, reads, stores); the servers pass them on: a bad read is a 400, a store failure a 500 whose message withholds the store's details."],
  ["config", "Configuration", "Raised while a configuration file is loaded or compiled (at start and on `SIGHUP`); a schema's library error is reported under its own code with the file and schema named."],
  ["query", "Query server", "The HTTP answers of `torus`, as `{\"error\": message, \"code\": code}` with the status shown first."],
  ["graphite", "Graphite render API", "Raised by the Graphite target parser, path patterns, time parser and render functions."],
  ["cli", "Command line", ""],
  ["tools", "Tools", "Raised by the tools' own checks; a mistake in a tool's flags takes the library's code for it (`TORUS_ERR_BAD_OPTION`, `TORUS_ERR_UNKNOWN_INTERVAL`), a server's answer its own code."],
];

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** `docs/errors.md`, generated from the catalogue (a test keeps the committed file equal to this). */
export function renderErrorsDoc(): string {
  let out =
    "# Error codes\n\n" +
    "<!-- Generated from src/errors/catalogue.ts by renderErrorsDoc (src/errors/errors-doc.ts); edit the table there, then run\n" +
    '     npx tsx -e \'import("./src/errors/errors-doc.ts").then((m) => process.stdout.write(m.renderErrorsDoc()))\' > docs/errors.md -->\n\n' +
    "Every error Torus reports carries a stable code (`err.code` in the library, `\"code\"` in an HTTP error body, the `code` label of " +
    "`torus_request_errors_total`). Codes never change meaning once released; match on them, not on messages.\n";
  for (const [area, title, intro] of AREAS) {
    const codes = ERROR_CODES.filter((c) => ERROR_CATALOGUE[c].area === area);
    if (codes.length === 0) continue;
    out += `\n## ${title}\n\n${intro ? `${intro}\n\n` : ""}| code | meaning | usual fix |\n| --- | --- | --- |\n`;
    for (const code of codes) out += `| \`${code}\` | ${cell(ERROR_CATALOGUE[code].meaning)} | ${cell(ERROR_CATALOGUE[code].fix)} |\n`;
  }
  return out;
}
