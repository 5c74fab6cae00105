export { cpu } from './native.js';
export type { CpuAddon } from './native.js';
