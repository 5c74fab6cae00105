// Each typed error is named after its class (the CLI prints `name: message`); ModelLoadError sets the
// name once for every subclass.
import { expect, it } from 'vitest';
import { AbortedError, CheckpointFormatError, CheckpointMismatchError, ConfigError, HubError, ModelLoadError, UnsafePickleError } from './errors.js';

it('names every error after its class', () => {
  const named: [Error, string][] = [
    [new ModelLoadError('m'), 'ModelLoadError'],
    [new ConfigError('m'), 'ConfigError'],
    [new CheckpointFormatError('f', 'm'), 'CheckpointFormatError'],
    [new UnsafePickleError('f', 'm'), 'UnsafePickleError'],
    [new CheckpointMismatchError(['m']), 'CheckpointMismatchError'],
    [new HubError('m'), 'HubError'],
    [new AbortedError('embed', 1, 2), 'AbortedError'],
  ];
  for (const [e, name] of named) {
    expect(e.name).toBe(name);
    expect(String(e)).toMatch(new RegExp(`^${name}: `));
  }
});
