// The error thrown at import when no CPU addon fits: it names the platform, every place the loader
// looked (and why each did not fit), and the command that builds the addon from source.
import { TensorError } from './errors.js';

export interface NativePlatform {
  os: NodeJS.Platform;
  arch: string;
  /** on Linux, which C library Node runs on; null elsewhere */
  libc: 'glibc' | 'musl' | null;
  /** the Node-API version this Node provides */
  napiVersion: number;
}

export interface AddonAttempt {
  /** a file path, or `package/file` when the package could not be resolved */
  path: string;
  /** true when nothing was there; false when it was there but failed to load */
  missing: boolean;
  error: string;
}

export function describePlatform(p: NativePlatform): string {
  return `${p.os} ${p.arch}${p.libc ? ` ${p.libc}` : ''}, Node-API ${p.napiVersion} (the addon needs 8)`;
}

export class NativeAddonUnavailable extends TensorError {
  constructor(
    readonly platform: NativePlatform,
    readonly tried: readonly AddonAttempt[],
    readonly buildCommand: string,
  ) {
    super(
      `@gptj/tensor: no native CPU addon fits this platform (${describePlatform(platform)}).\n` +
        `Tried, in order:\n${tried.map((t) => `  ${t.path}: ${t.error}`).join('\n')}\n` +
        `Build it from source (needs cmake 3.20+ and a C++17 compiler): ${buildCommand}`,
    );
  }
}
