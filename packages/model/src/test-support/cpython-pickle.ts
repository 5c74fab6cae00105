// State-dict pickles written by CPython itself (so the opcode mix, memo use and nesting are real), with stand-in
// classes named like torch's globals: `T(key, size, numel, offset=0, stride=contiguous)` pickles as
// torch._utils._rebuild_tensor_v2 over a persistent ('storage', torch.FloatStorage, key, 'cpu', numel), and `P`
// is a protocol-2 pickler with torch.save's persistent_id.
import { execFileSync, spawnSync } from 'node:child_process';

export const hasPython = spawnSync('python3', ['-c', 'import pickle']).status === 0;

const PRELUDE = `
import pickle, collections, sys, types, math
m = types.ModuleType('torch._utils'); sys.modules['torch._utils'] = m
t = types.ModuleType('torch'); sys.modules['torch'] = t
class FloatStorage: pass
FloatStorage.__module__ = 'torch'; t.FloatStorage = FloatStorage
def _rebuild_tensor_v2(*a): pass
_rebuild_tensor_v2.__module__ = 'torch._utils'; m._rebuild_tensor_v2 = _rebuild_tensor_v2
class T:
    def __init__(s, key, size, numel, off=0, stride=None):
        s.a = (key, size, numel, off, stride or tuple(math.prod(size[i + 1:]) for i in range(len(size))))
    def __reduce__(s):
        key, size, numel, off, stride = s.a
        return (_rebuild_tensor_v2, (('storage', FloatStorage, key, 'cpu', numel), off, size, stride, False, collections.OrderedDict()))
class P(pickle.Pickler):
    def persistent_id(self, o):
        return o if isinstance(o, tuple) and o and o[0] == 'storage' else None
`;

/** The bytes a Python script (run after the prelude) writes to stdout; it should end with P(sys.stdout.buffer, protocol=2).dump(sd). */
export function cpythonPickle(script: string): Uint8Array {
  return new Uint8Array(execFileSync('python3', ['-c', PRELUDE + script], { maxBuffer: 1 << 26 }));
}
