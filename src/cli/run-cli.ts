import { CommanderError, type Command } from "commander";

/**
 * Run a commander program so that user mistakes end in one line on stderr
 * and a non-zero exit, never a stack trace.
 */
export async function runCli(program: Command, argv: string[], name: string): Promise<void> {
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; commander already printed the message.
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`${name}: ${oneLine(err)}\n`);
    process.exitCode = 1;
  }
}

export function oneLine(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === "EADDRINUSE") return `cannot listen on ${e.address ?? ""}:${e.port ?? ""}: address already in use`;
  if (e?.code === "EACCES" && e.syscall === "listen") return `cannot listen on ${e.address ?? ""}:${e.port ?? ""}: permission denied`;
  if (e?.code === "EADDRNOTAVAIL") return `cannot listen on ${e.address ?? ""}: address not available`;
  return String(e?.message ?? err).split("\n")[0];
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
