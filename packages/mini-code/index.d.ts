/** Absolute path of the bundled Hugging Face GPT-J directory (config.json, sharded fp16 safetensors, tokenizer files). */
export declare const miniCodeDir: string;
