// Programmatic access to the command tree (for embedding or testing); the executable is dist/main.js.
export { createProgram } from './program.js';
export { CliError, ExitCode, UsageError, describeError, reportError } from './errors.js';
export { summarize } from './eval-score.js';
export { parameterCount, weightBytesPerToken, measureReadBandwidth } from './hardware-floor.js';
