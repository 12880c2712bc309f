import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { ErrorCodes, TorusError } from "../../timeseries/index.js";

export interface WhisperSource {
  /** The file on disk. */
  readonly path: string;
  /** Its metric name: the path relative to its root, `.wsp` dropped, separators turned into dots. */
  readonly name: string;
}

/** `servers/web1/cpu.wsp` → `servers.web1.cpu`. */
export function metricName(relativePath: string): string {
  return relativePath.replace(/\.wsp$/, "").split(sep).join(".").split("/").join(".");
}

/**
 * Every whisper file under the given paths, sorted by name within each
 * path: a directory is walked for `*.wsp` (a symbolic link to a file is
 * taken, one to a directory is not followed, so a loop cannot run forever); a file is taken as it
 * is, whatever its extension. Names are relative to `root` when given,
 * else to the directory given (or, for a file, its own directory).
 */
export async function findWhisperFiles(paths: readonly string[], root?: string): Promise<WhisperSource[]> {
  const out: WhisperSource[] = [];
  for (const p of paths) {
    const full = resolve(p);
    const info = await stat(full).catch((err: NodeJS.ErrnoException) => {
      const why = err.code === "ENOENT" ? "no such file or directory" : err.code === "EACCES" ? "permission denied" : err.message;
      throw new TorusError(ErrorCodes.BAD_OPTION, `${p}: ${why}`, { field: "path", value: p });
    });
    if (info.isDirectory()) {
      const base = root !== undefined ? resolve(root) : full;
      const found: string[] = [];
      await walk(full, found);
      found.sort();
      for (const f of found) out.push({ path: f, name: metricName(relative(base, f)) });
    } else {
      const base = root !== undefined ? resolve(root) : dirname(full);
      out.push({ path: full, name: metricName(root !== undefined ? relative(base, full) : basename(full)) });
    }
  }
  return out;
}

async function walk(dir: string, found: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await walk(p, found);
    else if (entry.name.endsWith(".wsp") && (entry.isFile() || (entry.isSymbolicLink() && (await stat(p).catch(() => null))?.isFile()))) found.push(p);
  }
}
