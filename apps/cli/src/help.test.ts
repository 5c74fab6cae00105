// Every command has --help, and the help lists every option the command defines.
import { describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';
import { createProgram } from './program.js';

const program = createProgram();

describe('--help', () => {
  it('the top level lists every command', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const cmd of program.commands) expect(run.stdout).toContain(cmd.name());
  });

  it.each(program.commands.map((c) => [c.name(), c] as const))('gptj %s --help shows its usage and every option', async (name, cmd) => {
    const run = await runCli([name, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: gptj ${name}`);
    expect(cmd.options.length).toBeGreaterThan(0);
    for (const opt of cmd.options) expect(run.stdout).toContain(opt.long!);
  });

  it('--version prints the package version', async () => {
    const run = await runCli(['--version']);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
