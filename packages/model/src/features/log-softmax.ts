/** log softmax(row)[target] in float64 (shifted by the row's max), and whether target is the row's argmax (first max wins, like torch). */
export function targetLogprob(row: Float32Array, target: number): { logprob: number; greedy: boolean } {
  let max = -Infinity;
  let arg = 0;
  for (let v = 0; v < row.length; v++) {
    if (row[v] > max) {
      max = row[v];
      arg = v;
    }
  }
  let sum = 0;
  for (let v = 0; v < row.length; v++) sum += Math.exp(row[v] - max);
  return { logprob: row[target] - max - Math.log(sum), greedy: arg === target };
}
