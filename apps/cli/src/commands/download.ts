// gptj download: fetch a hub model into the local Hugging Face cache (resumable) and print its directory.
import { Command } from 'commander';
import { writeOut } from '../io.js';
import { resolveToDirectory } from '../load.js';
import { resolveModelSource } from '../model-source.js';
import { UsageError } from '../errors.js';

interface DownloadFlags {
  revision?: string;
  cacheDir?: string;
}

export function downloadCommand(): Command {
  return new Command('download')
    .description('Download a model from the Hugging Face hub into the local cache and print its directory')
    .argument('<hub-id>', 'model id of the form org/name, e.g. EleutherAI/gpt-j-6b')
    .option('--revision <rev>', 'branch, tag or commit (default: main; EleutherAI/gpt-j-6b has a "float16" branch)')
    .option('--cache-dir <dir>', 'cache root (default: $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)')
    .addHelpText(
      'after',
      '\nAn interrupted download resumes where it stopped. $HF_ENDPOINT points it at a mirror.\n\n' +
        'Example:\n  gptj download EleutherAI/gpt-j-6b --revision float16\n  gptj generate --model EleutherAI/gpt-j-6b --revision float16 "Hello"',
    )
    .action(async (hubId: string, flags: DownloadFlags) => {
      const source = resolveModelSource(hubId);
      if (source.kind !== 'hub') throw new UsageError(`${hubId} is a local directory, not a hub id`);
      const dir = await resolveToDirectory(source, flags);
      await writeOut(`${dir.path}\n`);
    });
}
