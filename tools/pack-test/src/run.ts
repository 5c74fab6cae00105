// Child processes for the install test: output captured, and an environment stripped of what pnpm,
// vitest and vite put there (npm_config_*, NODE_PATH into the workspace's store, node_modules/.bin on
// PATH, MODE/DEV/SSR...), so npm and node behave as in a user's fresh shell.
import { spawn } from 'node:child_process';
import { delimiter } from 'node:path';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** ms; the child is killed after it */
  timeout?: number;
}

const NOT_USER = /^(npm_.*|pnpm_.*|VITEST.*|TURBO_.*|INIT_CWD|NODE_PATH|NODE_ENV|TEST|MODE|PROD|DEV|SSR|BASE_URL|FORCE_TTY)$/i;

export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!NOT_USER.test(k)) env[k] = v;
  env.PATH = (env.PATH ?? '')
    .split(delimiter)
    .filter((p) => !p.includes('node_modules'))
    .join(delimiter);
  return { ...env, ...extra };
}

export function run(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeout ?? 240_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
