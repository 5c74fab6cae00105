// Semantic search: embed code snippets with the feature-extraction API (`embed`: the model's final hidden
// states, mean-pooled over each input's tokens, scaled to unit length) and answer a query with the snippets
// closest to it by cosine similarity (a dot product, since the vectors are unit length).
//
// Run: node apps/examples/dist/semantic-search.js [query]     (a query is code too: the demo model reads Python)
import { fileURLToPath } from 'node:url';
import { miniCodeDir } from '@gptj/mini-code';
import { type GPTJModel, embed, loadModel } from '@gptj/model';
import { Tokenizer } from '@gptj/tokenizer';

export const SNIPPETS = [
  'def read_json(path):\n    with open(path) as f:\n        return json.load(f)\n',
  'def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n',
  'class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):\n        self.items.append(item)\n',
  'import numpy as np\n\nmatrix = np.zeros((3, 3))\nidentity = np.eye(3)\n',
  'import requests\n\nresponse = requests.get(url, timeout=10)\nresponse.raise_for_status()\n',
  'def factorial(n):\n    result = 1\n    for i in range(2, n + 1):\n        result *= i\n    return result\n',
  'with open("out.csv", "w", newline="") as f:\n    writer = csv.writer(f)\n    writer.writerows(rows)\n',
  'import torch\n\nx = torch.randn(4, 8)\ny = torch.nn.functional.relu(x)\n',
];

/** One unit-length vector per text. */
export function embedTexts(model: GPTJModel, tok: Tokenizer, texts: readonly (string | number[])[]): Promise<Float32Array[]> {
  return embed(model, texts, { encode: (t) => tok.encode(t), pooling: 'mean', normalize: true });
}

/** Cosine similarity of two vectors of one length (a RangeError otherwise: vectors of different models). */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`cosine: vectors of ${a.length} and ${b.length} dimensions`);
  let dot = 0,
    na = 0,
    nb = 0;
  for (const [i, x] of a.entries()) {
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

/** Indices of `docs` from the closest to `query` to the farthest, with their similarity. */
export function rank(query: Float32Array, docs: readonly Float32Array[]): { index: number; similarity: number }[] {
  return docs.map((d, index) => ({ index, similarity: cosine(query, d) })).sort((a, b) => b.similarity - a.similarity);
}

async function main(query: string): Promise<void> {
  const model = await loadModel(miniCodeDir);
  const tok = Tokenizer.gptj();
  const index = await embedTexts(model, tok, SNIPPETS); // embed the collection once
  const [q] = await embedTexts(model, tok, [query]); // one vector per text
  console.log(`query: ${JSON.stringify(query)}`);
  for (const [i, hit] of rank(q!, index).slice(0, 3).entries()) {
    const [firstLine] = SNIPPETS[hit.index]!.split('\n');
    console.log(`${i + 1}. ${hit.similarity.toFixed(3)} ${JSON.stringify(firstLine)}`);
  }
}

const DEFAULT_QUERY = 'def load_config(filename):\n    with open(filename) as fh:\n        return json.load(fh)\n';
if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv[2] ?? DEFAULT_QUERY);
