import { describe, expect, it } from 'vitest';
import { CliError, ExitCode, UsageError } from './errors.js';
import { checkGenerateOptions } from './generation.js';

describe('checkGenerateOptions: option errors name a flag only when the user typed it', () => {
  it('a flag the user typed: usage error naming the flag (exit 2)', async () => {
    const err = await checkGenerateOptions({ temperature: 3.5e38 }, (name) => name === 'temperature').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as CliError).exitCode).toBe(ExitCode.usage);
    expect((err as Error).message).toBe('--temperature: overflows float32: the largest magnitude is 3.4028235e+38, got 3.5e+38');
  });

  it('a value the user did not type (a default, or from the model): failure with the library message (exit 1)', async () => {
    const err = await checkGenerateOptions({ temperature: 3.5e38 }, () => false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err).not.toBeInstanceOf(UsageError);
    expect((err as CliError).exitCode).toBe(ExitCode.failure);
    expect((err as Error).message).toBe('invalid option "temperature": overflows float32: the largest magnitude is 3.4028235e+38, got 3.5e+38');
  });

  it('a nested option names its flag (stop.1 -> --stop)', async () => {
    const err = await checkGenerateOptions({ stop: ['a', ''] }, (name) => name === 'stop').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^--stop: /);
  });

  it('valid options pass', async () => {
    await expect(checkGenerateOptions({ temperature: 1e-40, maxNewTokens: 4 }, () => true)).resolves.toBeUndefined();
  });
});
