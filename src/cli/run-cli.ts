import { CommanderError, type Command } from "commander";
import { TorusError } from "../errors/torus-error.js";

/** Exit codes: 0 done, 1 a runtime failure (config, port, store), 2 a usage mistake (flags, arguments). */
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/**
 * A mistake on the command line found by our own checks (a flag's value
 * that does not parse, a required flag commander cannot express): exit 2
 * with a pointer to the command's help, like commander's own usage errors.
 */
export class UsageError extends TorusError {
  constructor(message: string) {
    super("TORUS_ERR_USAGE", message);
    this.name = "UsageError";
  }
}

/** Thrown from commander's exit hook so the error knows which (sub)command raised it. */
class ParseError extends Error {
  constructor(
    readonly commander: CommanderError,
    readonly command: Command,
  ) {
    super(commander.message);
  }
}

/** Every command of a program, the program first. */
function commandsOf(program: Command): Command[] {
  return [program, ...program.commands.flatMap((c) => commandsOf(c as Command))];
}

/** `torus migrate` for the migrate subcommand: what a user types to reach it. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/**
 * Run a commander program so that every mistake ends in one line on stderr
 * and an exit code a script can tell apart: 2 for usage (unknown option or
 * command, missing or bad value, unexpected argument), 1 for a runtime
 * failure, never a stack trace or the whole help.
 */
export async function runCli(program: Command, argv: string[], name: string): Promise<void> {
  for (const cmd of commandsOf(program)) {
    cmd.exitOverride((err) => {
      throw new ParseError(err, cmd);
    });
    // Commander prints its message and (with showHelpAfterError) the help before exiting: we print one line instead.
    cmd.showHelpAfterError(false);
    cmd.configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => {} });
  }
  // Output piped into `head` and the like: a closed pipe ends the command quietly, not with a stack trace.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
  let active: Command = program;
  program.hook("preAction", (_self, actionCommand) => {
    active = actionCommand;
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ParseError && err.commander.exitCode === 0) {
      // --help and --version end here; commander already printed them.
      process.exitCode = 0;
      return;
    }
    const usage = err instanceof ParseError ? usageProblem(err) : err instanceof UsageError ? { cmd: active, problem: err.message, pointer: true } : null;
    if (usage) {
      const path = commandPath(usage.cmd);
      // An unknown command already lists the commands; everything else points at the help.
      process.stderr.write(`${path}: ${usage.problem}${usage.pointer === false ? "" : ` (see ${path} --help)`}\n`);
      process.exitCode = EXIT_USAGE;
      process.exit(EXIT_USAGE); // as below: nothing half-started may keep the process alive
    }
    process.stderr.write(`${name}: ${oneLine(err)}\n`);
    process.exitCode = EXIT_RUNTIME;
    // Exit now: a half-started command may hold handles (a worker's IPC channel, a store's socket)
    // that would keep the process alive, so a failed `--workers` child would never be replaced.
    process.exit(EXIT_RUNTIME);
  }
}

/** Commander's message, on one line, in our words where commander's are unclear. */
function usageProblem(err: ParseError): { cmd: Command; problem: string; pointer?: boolean } {
  const { command: cmd, commander } = err;
  const extra = cmd.args.slice(cmd.registeredArguments.length);
  const subcommands = cmd.commands.map((c) => c.name());
  if (commander.code === "commander.unknownCommand" || (commander.code === "commander.excessArguments" && subcommands.length > 0)) {
    // Bare `torus` is the query server and takes no arguments, so commander calls `torus bogus` "too many arguments".
    return { cmd, problem: `unknown command ${quote(extra[0] ?? cmd.args[0] ?? "")} (commands: ${subcommands.join(", ")})`, pointer: false };
  }
  if (commander.code === "commander.excessArguments") {
    return { cmd, problem: `unexpected argument ${quote(extra[0] ?? "")}${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ""}` };
  }
  // "error: unknown option '--tpc'\n(Did you mean --tcp?)" → "unknown option '--tpc'; did you mean --tcp?"
  const problem = commander.message
    .replace(/^error: /, "")
    .replace(/\s*\(Did you mean (.*)\?\)\s*$/s, "; did you mean $1?")
    .replace(/\s*\n\s*/g, " ")
    .replace(/\.$/, "");
  return { cmd, problem };
}

const quote = (s: string) => `'${s}'`;

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
