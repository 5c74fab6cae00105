// Loads the CPU addon built by cmake-js (build/Release/gptj_cpu.node).
import { createRequire } from 'node:module';

export interface CpuAddon {
  cpuFeatures(): { avx2: boolean; fma: boolean; f16c: boolean; avx512f: boolean };
}

const require = createRequire(import.meta.url);
export const cpu: CpuAddon = require('../build/Release/gptj_cpu.node');
