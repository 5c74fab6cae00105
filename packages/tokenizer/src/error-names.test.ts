// Each typed error is named after its class (the CLI prints `name: message`); TokenizerError sets the
// name once for every subclass.
import { expect, it } from 'vitest';
import { SpecialTokenError, TokenizerError, TokenizerLoadError, UnknownTokenIdError } from './errors.js';

it('names every error after its class', () => {
  const named: [TokenizerError, string][] = [
    [new TokenizerError('m'), 'TokenizerError'],
    [new SpecialTokenError('<|endoftext|>', 0, 50256), 'SpecialTokenError'],
    [new UnknownTokenIdError(-1, 0, 10), 'UnknownTokenIdError'],
    [new TokenizerLoadError('m'), 'TokenizerLoadError'],
  ];
  for (const [e, name] of named) {
    expect(e).toBeInstanceOf(TokenizerError);
    expect(e.name).toBe(name);
    expect(String(e)).toMatch(new RegExp(`^${name}: `));
  }
});
