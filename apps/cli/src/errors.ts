// The one place where errors become what the user sees: a single line on stderr and an exit code.
// A stack trace is printed only with --verbose; errors that look like bugs say so and suggest it.

/** Exit codes of the gptj command. */
export const ExitCode = {
  ok: 0,
  /** Something the user asked for could not be done: missing model, malformed checkpoint, prompt too long, no CUDA... */
  failure: 1,
  /** The command line itself is wrong: unknown flag, bad flag value, missing argument. */
  usage: 2,
  /** Interrupted by Ctrl-C. */
  interrupted: 130,
} as const;

/** An error the CLI raises itself; `exitCode` says which kind (failure or usage). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failure,
  ) {
    super(message);
  }
}

/** A usage error found after parsing (e.g. two flags that exclude each other). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

// Errors that signal a bug in this program or a library rather than something the user did.
const BUG_NAMES = new Set(['TypeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'AssertionError']);

interface SystemError extends Error {
  code?: string;
  path?: string;
  syscall?: string;
}

/** The one-line message for an error; `bug` when it does not look like something the user caused. */
export function describeError(err: unknown): { message: string; bug: boolean } {
  if (!(err instanceof Error)) return { message: String(err), bug: true };
  const sys = err as SystemError;
  if (typeof sys.code === 'string' && sys.syscall !== undefined) {
    // Node's fs/OS errors: name the file and the reason, not the syscall internals.
    const what: Record<string, string> = {
      ENOENT: 'no such file or directory',
      EACCES: 'permission denied',
      EISDIR: 'is a directory',
      ENOTDIR: 'not a directory',
      ENOSPC: 'no space left on device',
      EPIPE: 'broken pipe',
    };
    const reason = what[sys.code] ?? sys.message;
    return { message: sys.path ? `${sys.path}: ${reason}` : reason, bug: false };
  }
  const bug = BUG_NAMES.has(err.name);
  // Library errors are typed (TensorError, checkpoint and option errors...): their class name tells the kind.
  const prefix = err instanceof CliError || err.name === 'Error' || bug ? '' : `${err.name}: `;
  return { message: prefix + oneLine(err.message), bug };
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** Prints the error as one line (plus the stack with --verbose) and returns the exit code to use. */
export function reportError(err: unknown, verbose: boolean, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  const { message, bug } = describeError(err);
  const hint = bug && !verbose ? ' (rerun with --verbose for the stack trace)' : '';
  write(`gptj: error: ${bug ? 'internal error: ' : ''}${message}${hint}\n`);
  if (verbose && err instanceof Error && err.stack) write(`${err.stack}\n`);
  return err instanceof CliError ? err.exitCode : ExitCode.failure;
}
