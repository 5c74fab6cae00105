// Fuzzing the gptj command line: random argv arrays (every command and flag, flag=value forms, numeric edge values,
// id lists, any Unicode) through the real commander program, with each command's action replaced by the checks it
// makes before any work (the sampling options built from generate's flags and validated by @gptj/sampling, the
// logits batch shape); no model runs. Invariant: the argv parses, or fails with commander's error (usage, exit 2;
// help; version) or the CLI's typed CliError, never another exception.
import fc from 'fast-check';
import { CommanderError, type Command } from 'commander';
import { InvalidOptionError, parseGenerateOptions } from '@gptj/sampling';
import { fuzz, fuzzTimeoutMs } from '@gptj/test-fixtures/fuzz';
import { describe, it } from 'vitest';
import { checkBatch } from './commands/logits.js';
import { CliError } from './errors.js';
import { toCliError, toGenerateOptions, type SamplingFlags } from './generation.js';
import { createProgram } from './program.js';

const silent = { writeOut: () => {}, writeErr: () => {}, outputError: () => {} };

/** The checks each action makes before loading anything (commands without such checks do nothing). */
const preWork: Record<string, (...args: any[]) => void> = {
  generate: (_prompt: unknown, flags: SamplingFlags, command: Command) => {
    const explicit = (name: keyof SamplingFlags) => command.getOptionValueSource(name) === 'cli';
    try {
      parseGenerateOptions(toGenerateOptions(flags, explicit));
    } catch (err) {
      throw toCliError(err, InvalidOptionError, explicit);
    }
  },
  logits: (flags: { ids: number[][]; attentionMask?: number[][] }) => void checkBatch(flags.ids, flags.attentionMask),
};

function parseOnly(argv: string[]): void {
  const program = createProgram().exitOverride().configureOutput(silent);
  for (const cmd of program.commands)
    cmd
      .exitOverride()
      .configureOutput(silent)
      .action(preWork[cmd.name()] ?? (() => {}));
  program.parse(argv, { from: 'user' });
}

const program = createProgram();
const globalFlags = ['--help', '-h', '--version', '-V', '--verbose', '-v', '--', '-', '--no-such-flag'];
const flagsOf = (cmd: Command) => cmd.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined);
const allFlags = [...new Set(program.commands.flatMap(flagsOf)), ...globalFlags];
const values = fc.constantFrom(
  '0',
  '-0',
  '1',
  '-1',
  '2',
  '0.5',
  '1e-46',
  '1e-45',
  '1e-40',
  '3.4e38',
  '3.5e38',
  '1e400',
  '-1e400',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1_000',
  '',
  ' ',
  '  7  ',
  '4294967295',
  '4294967296',
  '9007199254740993',
  '1,2,3',
  '0,1,1',
  '1,,2',
  ',',
  '1,a',
  '0,2',
  '\u0661\u0662',
  '1e',
  '.5',
  '5.',
  '+3',
  '--1',
  'auto',
  'cpu',
  'cuda',
  'f16',
  'int8',
  'q8',
  'json',
  'f32',
  '/no/such/dir',
);
const anyToken = fc.oneof(fc.constantFrom(...allFlags), values, fc.string({ unit: 'binary', maxLength: 12 }));
/** Mostly the command's own flags with a value (as two tokens, flag=value, or -xVALUE), sometimes any token. */
function argsFor(cmd: Command): fc.Arbitrary<string[]> {
  const own = flagsOf(cmd);
  const short = own.filter((f) => /^-[a-zA-Z]$/.test(f));
  const group = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...own), values).map(([f, v]) => [f, v]) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...own), values).map(([f, v]) => [`${f}=${v}`]) },
    { weight: short.length > 0 ? 1 : 0, arbitrary: fc.tuple(fc.constantFrom(...(short.length > 0 ? short : ['-x'])), values).map(([f, v]) => [`${f}${v}`]) },
    { weight: 1, arbitrary: fc.constantFrom(...own).map((f) => [f]) },
    { weight: 1, arbitrary: anyToken.map((t) => [t]) },
  );
  return fc.array(group, { maxLength: 6 }).map((groups) => [cmd.name(), ...groups.flat()]);
}
const argv = fc.oneof(...program.commands.map((cmd) => ({ weight: 4, arbitrary: argsFor(cmd) })), {
  weight: 1,
  arbitrary: fc.array(anyToken, { maxLength: 8 }),
});

describe('fuzz: the gptj command line', () => {
  it(
    'random argv: parses, or a commander usage error or a CliError',
    () => {
      fuzz(
        'cli-argv',
        [argv],
        (args) => {
          try {
            parseOnly(args);
          } catch (err) {
            if (err instanceof CommanderError || err instanceof CliError) return;
            throw err;
          }
        },
        { maxMsPerInput: 1000 },
      );
    },
    fuzzTimeoutMs,
  );
});
