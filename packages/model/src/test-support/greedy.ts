import type { GPTJModel } from '../index.js';
import { argmax } from './compare.js';

/** Greedy decoding through a session sized for the run: prefill the prompt, then one token at a time. */
export async function greedy(m: GPTJModel, prompt: number[], steps: number): Promise<{ ids: number[]; logits: Float32Array[] }> {
  const session = m.createSession(1, prompt.length + steps);
  const ids: number[] = [];
  const logits: Float32Array[] = [];
  let next = [prompt];
  for (let s = 0; s < steps; s++) {
    const l = await session.forward(next);
    logits.push(l);
    ids.push(argmax(l));
    next = [[ids.at(-1)!]];
  }
  session.dispose();
  return { ids, logits };
}
