// gptj tokenize: text -> token ids.
import { Command } from 'commander';
import { readTextInput, writeOut } from '../io.js';
import { loadTokenizer } from '../load.js';
import { resolveModelSource } from '../model-source.js';

interface TokenizeFlags {
  file?: string;
  model?: string;
  json?: boolean;
}

export function tokenizeCommand(): Command {
  return new Command('tokenize')
    .description('Encode text into token ids (GPT-2/GPT-J BPE)')
    .argument('[text]', 'text to encode (default: --file, else stdin)')
    .option('-f, --file <path>', 'read the text from a file')
    .option('-m, --model <dir>', "use this model directory's tokenizer files (default: the bundled GPT-J vocabulary)")
    .option('--json', 'print {"ids":[...],"count":n} instead of comma-separated ids')
    .addHelpText('after', '\nExamples:\n  gptj tokenize "Hello, world"\n  echo "def f():" | gptj tokenize --json')
    .action(async (text: string | undefined, flags: TokenizeFlags) => {
      const input = await readTextInput(text, flags.file, 'text');
      const tokenizer = await loadTokenizer(flags.model === undefined ? undefined : resolveModelSource(flags.model));
      const ids = tokenizer.encode(input);
      await writeOut(flags.json ? `${JSON.stringify({ ids, count: ids.length })}\n` : `${ids.join(',')}\n`);
    });
}
