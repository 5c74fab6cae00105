import { fileURLToPath } from 'node:url';

/** Absolute path of the bundled Hugging Face GPT-J directory (config.json, sharded fp16 safetensors, tokenizer files). */
export const miniCodeDir = fileURLToPath(new URL('./checkpoint', import.meta.url));
