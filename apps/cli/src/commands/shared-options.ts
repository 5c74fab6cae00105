// Flags several commands share, defined once so that their spelling, parsing and help text stay identical.
// Each block sets its own help heading, then restores the default one for the flags the command adds next.
import { Option, type Command } from 'commander';
import { integer } from '../options.js';

export function addModelOption(cmd: Command): Command {
  return cmd
    .optionsGroup('Model options:')
    .option('-m, --model <dir|hub-id>', 'Hugging Face model directory or hub id org/name (default: the bundled mini-code demo checkpoint)')
    .option('--revision <rev>', 'hub ids: branch, tag or commit to use (default: main)')
    .option('--cache-dir <dir>', 'hub ids: cache root (default: $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)')
    .optionsGroup('Options:');
}

export function addRuntimeOptions(cmd: Command): Command {
  return cmd
    .optionsGroup('Runtime options:')
    .addOption(new Option('--device <device>', 'where to run').choices(['auto', 'cpu', 'cuda']).default('auto'))
    .addOption(
      new Option('--dtype <dtype>', 'weight dtype: auto keeps the stored one; int8 and q4 (4-bit in groups of 32, CPU only) = weight-only quantized')
        .choices(['auto', 'f32', 'f16', 'bf16', 'int8', 'q4'])
        .default('auto'),
    )
    .option('--threads <n>', 'CPU threads for the kernels (default: all cores)', integer(1, 1024))
    .option(
      '--no-mmap',
      'read the weights into memory instead of mapping the checkpoint (slower load, more RAM; decode no longer depends on how the page cache holds the file)',
    )
    .optionsGroup('Options:');
}
