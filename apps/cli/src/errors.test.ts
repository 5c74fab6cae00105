import { describe, expect, it } from 'vitest';
import { CliError, ExitCode, UsageError, describeError, reportError } from './errors.js';

class CheckpointFormatError extends Error {
  override name = 'CheckpointFormatError';
}

function report(err: unknown, verbose = false): { code: number; text: string } {
  let text = '';
  const code = reportError(err, verbose, (s) => (text += s));
  return { code, text };
}

describe('error reporting', () => {
  it('prints one line for user errors, with the typed error name of library errors', () => {
    expect(report(new CliError('model directory not found: /x'))).toEqual({ code: ExitCode.failure, text: 'gptj: error: model directory not found: /x\n' });
    expect(report(new UsageError('bad'))).toEqual({ code: ExitCode.usage, text: 'gptj: error: bad\n' });
    const lib = report(new CheckpointFormatError('model.safetensors: header length\n  past the end'));
    expect(lib.text).toBe('gptj: error: CheckpointFormatError: model.safetensors: header length past the end\n');
  });

  it('names the file of a system error', () => {
    const err = Object.assign(new Error("ENOENT: no such file or directory, open 'x.jsonl'"), { code: 'ENOENT', syscall: 'open', path: 'x.jsonl' });
    expect(describeError(err)).toEqual({ message: 'x.jsonl: no such file or directory', bug: false });
  });

  it('marks bugs and prints the stack only with --verbose', () => {
    const bug = new TypeError('x is undefined');
    expect(report(bug).text).toBe('gptj: error: internal error: x is undefined (rerun with --verbose for the stack trace)\n');
    const verbose = report(bug, true).text;
    expect(verbose.split('\n')[0]).toBe('gptj: error: internal error: x is undefined');
    expect(verbose).toContain('at ');
  });
});
