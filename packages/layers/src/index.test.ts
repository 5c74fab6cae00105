import { expect, it } from 'vitest';
import { placeholder } from './index.js';
it('loads', () => { expect(placeholder).toBe('layers'); });
