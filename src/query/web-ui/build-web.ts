/** The build step's second half (after tsc): bundle the page into dist/web. */
import { rmSync } from "node:fs";
import { WEB_BUILT, bundleWebAssets, writeWebAssets } from "./web-assets.js";

const assets = await bundleWebAssets();
rmSync(WEB_BUILT, { recursive: true, force: true });
writeWebAssets(assets);
const sizes = [...assets.files.values()].map((a) => `${a.name} ${a.body.length} B (${a.gzip.length} B gzip, ${a.br.length} B br)`);
process.stdout.write(`web page: ${sizes.join(", ")}\n`);
