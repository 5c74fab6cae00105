// Hostile pickles (issue 15): each must end quickly in a CheckpointFormatError naming the file, never a hang,
// a RangeError from the engine, or a message that serialises what the pickle built.
import { describe, expect, it } from 'vitest';
import { cpythonPickle, hasPython } from '../test-support/cpython-pickle.js';
import { unpickleStateDict } from './pickle.js';
import { CheckpointFormatError } from '../errors.js';
import { at } from '../at.js';

const PROTO2 = [0x80, 0x02];
const pickle = (...parts: (number[] | Uint8Array)[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => {
    out.set(p, at);
    return at + p.length;
  }, 0);
  return out;
};
const repeat = (ops: number[], n: number): Uint8Array => {
  const out = new Uint8Array(ops.length * n);
  for (let i = 0; i < out.length; i++) out[i] = at(ops, i % ops.length);
  return out;
};

/** Runs the unpickler on `bytes` and returns the error it threw and how long it took. */
function refused(bytes: Uint8Array): { error: unknown; ms: number } {
  const start = performance.now();
  try {
    unpickleStateDict(bytes, 'evil.bin');
  } catch (error) {
    return { error, ms: performance.now() - start };
  }
  throw new Error('the pickle was accepted');
}

describe('unpickler limits', () => {
  it.skipIf(!hasPython)('leave room for GPT-J 6B: its state dict as CPython pickles it (341 tensors, 41 KB) loads', () => {
    // Stand-ins named like torch's globals, so the pickle has the opcodes, memo and nesting torch.save writes.
    const py = cpythonPickle(`
sd = collections.OrderedDict()
def add(n, size): sd[n] = T(str(len(sd)), size, math.prod(size))
D, I, V = 4096, 16384, 50400
add('transformer.wte.weight', (V, D))
for i in range(28):
    p = f'transformer.h.{i}.'
    for n, size in [('ln_1.weight', (D,)), ('ln_1.bias', (D,)), ('attn.bias', (1, 1, 2048, 2048)), ('attn.masked_bias', ()),
                    ('attn.k_proj.weight', (D, D)), ('attn.v_proj.weight', (D, D)), ('attn.q_proj.weight', (D, D)), ('attn.out_proj.weight', (D, D)),
                    ('mlp.fc_in.weight', (I, D)), ('mlp.fc_in.bias', (I,)), ('mlp.fc_out.weight', (D, I)), ('mlp.fc_out.bias', (D,))]:
        add(p + n, size)
for n, size in [('transformer.ln_f.weight', (D,)), ('transformer.ln_f.bias', (D,)), ('lm_head.weight', (V, D)), ('lm_head.bias', (V,))]:
    add(n, size)
sd._metadata = collections.OrderedDict((n, dict(version=1)) for n in [''] + [f'transformer.h.{i}' for i in range(28)])
P(sys.stdout.buffer, protocol=2).dump(sd)`);
    const got = unpickleStateDict(py, 'gptj-6b.bin');
    expect(got.size).toBe(341);
    expect(got.get('transformer.h.27.mlp.fc_in.weight')).toMatchObject({ shape: [16384, 4096], stride: [4096, 1] });
  });

  it('a "billion laughs" (a list shared through 30 levels of DUP/TUPLE2) is refused at once, described by type only', () => {
    // EMPTY_LIST, 30 x (DUP, TUPLE2), STOP: a 64-byte pickle whose top-level object has 2^30 paths to one list.
    const bytes = pickle(PROTO2, [0x5d], repeat([0x32, 0x86], 30), [0x2e]);
    expect(bytes.length).toBe(64);
    const { error, ms } = refused(bytes);
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as Error).message).toMatch(/^evil\.bin: data\.pkl: top-level object is a tuple of 2 items, not a dict of tensors$/);
    expect(ms).toBeLessThan(1000);
  });

  it('APPENDS of 500,000 items is a typed error, not a stack overflow', () => {
    const { error } = refused(pickle(PROTO2, [0x5d, 0x28], repeat([0x4e], 500_000), [0x65, 0x2e]));
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as Error).message).toMatch(/top-level object is a list of 500000 items/);
  });

  it('a list longer than the container limit is refused, naming the limit', () => {
    const n = 1_100_000;
    const { error } = refused(pickle(PROTO2, [0x5d], repeat([0x4e, 0x61], n), [0x2e]));
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as Error).message).toMatch(/evil\.bin: data\.pkl: a list grows past 1048576 items/);
  });

  it("17M memo entries are refused at the memo limit instead of overflowing the engine's Map", () => {
    const { error, ms } = refused(pickle(PROTO2, [0x4e], repeat([0x94], 17_000_000), [0x2e]));
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as Error).message).toMatch(/memo grows past 1048576 entries/);
    expect(ms).toBeLessThan(5000);
  });

  it('a stack deeper than the limit is refused', () => {
    const { error } = refused(pickle(PROTO2, repeat([0x4e], 1_100_000), [0x2e]));
    expect(error).toBeInstanceOf(CheckpointFormatError);
    expect((error as Error).message).toMatch(/stack grows past 1048576 items/);
  });

  it('a self-referential list (APPEND of itself) is described without walking it', () => {
    // EMPTY_LIST, DUP, APPEND (the list now contains itself), EMPTY_DICT, ... : top-level is the list.
    const { error } = refused(pickle(PROTO2, [0x5d, 0x32, 0x61, 0x2e]));
    expect((error as Error).message).toMatch(/top-level object is a list of 1 items/);
  });

  it('a dict entry that is not a tensor is described by type and size', () => {
    // EMPTY_DICT, SHORT_BINUNICODE "a", EMPTY_LIST, 20 x (DUP, TUPLE2), SETITEM, STOP
    const { error } = refused(pickle(PROTO2, [0x7d, 0x8c, 1, 0x61, 0x5d], repeat([0x32, 0x86], 40), [0x73, 0x2e]));
    expect((error as Error).message).toMatch(/entry "a" is a tuple of 2 items, not a tensor$/);
  });
});
