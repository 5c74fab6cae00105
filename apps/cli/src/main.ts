#!/usr/bin/env node
// Entry point of the gptj command: parse, run, and turn any error into one line and an exit code.
import { CommanderError } from 'commander';
import { ExitCode, reportError } from './errors.js';
import { createProgram } from './program.js';
import { printGptjWarnings } from './warnings.js';

// Commander reports its own errors (bad flags, missing arguments) as one line; usage errors exit 2.
function exitCodeOf(err: CommanderError): number {
  if (err.exitCode === 0) return ExitCode.ok; // --help, --version
  return ExitCode.usage;
}

async function main(argv: string[]): Promise<number> {
  const program = createProgram()
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`gptj: ${str}`) });
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput({ outputError: (str, write) => write(`gptj: ${str}`) });
  }
  try {
    await program.parseAsync(argv);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) return exitCodeOf(err);
    // --verbose may sit before or after the subcommand; the parse may have stopped before reading it.
    return reportError(err, argv.includes('--verbose') || argv.includes('-v'));
  }
}

printGptjWarnings();

// A closed stdout (e.g. `gptj generate ... | head -c 10`) is not an error worth a message.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(ExitCode.ok);
  throw err;
});

const code = await main(process.argv);
// A command may have set its own code (e.g. 130 after Ctrl-C stopped generation).
process.exitCode = code === ExitCode.ok ? (process.exitCode ?? ExitCode.ok) : code;
