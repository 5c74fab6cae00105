import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { engineConflicts } from './engines.js';

describe('engineConflicts', () => {
  const root = mkdtempSync(join(tmpdir(), 'gptj-engines-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const pkg = (dir: string, manifest: object) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  };
  const nm = join(root, 'node_modules');
  pkg(join(nm, 'ok'), { name: 'ok', version: '1.0.0', engines: { node: '>=18' } });
  pkg(join(nm, 'none'), { name: 'none', version: '1.0.0' });
  pkg(join(nm, '@scope', 'new'), { name: '@scope/new', version: '2.0.0', engines: { node: '^20.17.0 || >=22.9.0' } });
  pkg(join(nm, 'ok', 'node_modules', 'nested'), { name: 'nested', version: '3.0.0', engines: { node: '>=22' } });
  pkg(join(nm, 'cookie'), { name: 'cookie', version: '2.0.2', engines: { node: '>=22' } });

  it('names every package, scoped and nested too, whose range leaves out a supported version; accepted ones are listed in the source', () => {
    expect(engineConflicts(nm, ['20.10.0', '22.0.0']).sort()).toEqual([
      '@scope/new@2.0.0: engines.node "^20.17.0 || >=22.9.0" (fails on 20.10.0, 22.0.0)',
      'nested@3.0.0: engines.node ">=22" (fails on 20.10.0)',
    ]);
  });
});
