// The gptj command tree. Each subcommand lives in commands/<name>.ts; this file only assembles them and sets the
// behaviour they share (error output, exit codes, --verbose).
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { benchCommand } from './commands/bench.js';
import { chatCommand } from './commands/chat.js';
import { convertCommand } from './commands/convert.js';
import { detokenizeCommand } from './commands/detokenize.js';
import { downloadCommand } from './commands/download.js';
import { embedCommand } from './commands/embed.js';
import { evalCommand } from './commands/eval.js';
import { generateCommand } from './commands/generate.js';
import { logitsCommand } from './commands/logits.js';
import { serveCommand } from './commands/serve.js';
import { tokenizeCommand } from './commands/tokenize.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export function createProgram(): Command {
  const program = new Command('gptj')
    .description('Run GPT-J language models on Node.js: generate text, chat, serve, inspect logits, tokenize, download, convert, benchmark, evaluate, embed')
    .version(version, '-V, --version')
    .option('-v, --verbose', 'print stack traces and extra diagnostics on stderr')
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      '\nRun `gptj <command> --help` for the options of a command.\nWithout --model, commands use the bundled mini-code demo checkpoint (13.7M parameters, Python).',
    );
  for (const cmd of [
    generateCommand(),
    chatCommand(),
    serveCommand(),
    logitsCommand(),
    tokenizeCommand(),
    detokenizeCommand(),
    downloadCommand(),
    convertCommand(),
    benchCommand(),
    evalCommand(),
    embedCommand(),
  ]) {
    program.addCommand(cmd);
  }
  return program;
}
