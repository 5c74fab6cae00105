// @gptj/tensor/testing: the test oracles every package's tests share (naive float64 ops, the per-op GPT-J
// reference, error measures, deterministic random data). Not for use outside tests.
export * from './reference.js';
export { GPTJOpsReference } from './gptj-reference.js';
export { randomRunnerWeights } from './random-weights.js';
