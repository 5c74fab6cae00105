// What `gptj eval --per-example` prints: one JSON line per example, then the summary line.

// untyped: the tests read the fields each kind of eval prints
type Line = any;

export function perExampleReport(stdout: string): { examples: Line[]; summary: Line } {
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
  return { examples: lines.slice(0, -1), summary: lines.at(-1) };
}
