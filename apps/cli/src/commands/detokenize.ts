// gptj detokenize: token ids -> text.
import { Command } from 'commander';
import { writeOut } from '../io.js';
import { loadTokenizer } from '../load.js';
import { resolveModelSource } from '../model-source.js';
import { collect, idList } from '../options.js';
import { CliError } from '../errors.js';

interface DetokenizeFlags {
  ids: number[][];
  model?: string;
  json?: boolean;
}

export function detokenizeCommand(): Command {
  return new Command('detokenize')
    .description('Decode token ids into text')
    .requiredOption('--ids <ids>', 'comma-separated token ids, e.g. 15496,11,995 (repeatable: appended in order)', collect(idList))
    .option('-m, --model <dir>', "use this model directory's tokenizer files (default: the bundled GPT-J vocabulary)")
    .option('--json', 'print {"text":"..."}')
    .addHelpText(
      'after',
      '\nThe text is written exactly as decoded (a newline is added only when stdout is a terminal),\nso `gptj tokenize -f x | gptj detokenize --ids "$(cat)"` round-trips byte for byte.',
    )
    .action(async (flags: DetokenizeFlags) => {
      const tokenizer = await loadTokenizer(flags.model === undefined ? undefined : resolveModelSource(flags.model));
      const ids = flags.ids.flat();
      const bad = ids.find((id) => id >= tokenizer.vocabSize);
      if (bad !== undefined) throw new CliError(`--ids: token id ${bad} is out of range (vocabulary size ${tokenizer.vocabSize})`);
      const text = tokenizer.decode(ids);
      if (flags.json) await writeOut(`${JSON.stringify({ text })}\n`);
      else await writeOut(process.stdout.isTTY ? `${text}\n` : text);
    });
}
