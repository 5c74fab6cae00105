// gptj chat: an interactive conversation with a base model through a plain chat template (chat-template.ts).
// Replies stream to stdout; /reset forgets the conversation; Ctrl-C stops the reply being written, not the program
// (Ctrl-C at the prompt, Ctrl-D or /exit leave).
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { chatPrompt, CHAT_STOP, type Turn } from '../chat-template.js';
import { writeErr } from '../io.js';
import { loadModelForCli, loadTokenizer, type RuntimeFlags } from '../load.js';
import { integer, real } from '../options.js';
import { checkGenerateOptions, runGeneration, toGenerateOptions, type ExplicitFlag, type SamplingFlags } from '../generation.js';
import { addModelOption, addRuntimeOptions } from './shared-options.js';

type ChatFlags = RuntimeFlags & SamplingFlags;

export function chatCommand(): Command {
  const cmd = new Command('chat').description('Chat with the model in the terminal (plain User:/Assistant: template; /reset, /exit)');
  addModelOption(cmd);
  cmd
    .optionsGroup('Generation options:')
    .option('-n, --max-new-tokens <n>', 'tokens per reply at most', integer(1), 128)
    .option('-t, --temperature <t>', 'sampling temperature; 0 = greedy (argmax)', real(0, Infinity), 0.8)
    .option('--top-p <p>', 'nucleus sampling: keep the smallest set with probability >= p', real(0, 1, true))
    .option('--seed <n>', 'random seed of the first reply (each reply reports its own)', integer(0, 2 ** 32 - 1));
  addRuntimeOptions(cmd);
  return cmd.action(async (flags: ChatFlags, command: Command) => {
    const explicit: ExplicitFlag = (name) => command.getOptionValueSource(name) === 'cli';
    const sampling = { ...flags, numBeams: 1, stop: [CHAT_STOP] };
    await checkGenerateOptions(toGenerateOptions(sampling, explicit), explicit);
    const { model, source } = await loadModelForCli(flags);
    const tokenizer = await loadTokenizer(source);
    const tty = process.stdin.isTTY === true;
    const rl = createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, prompt: 'you> ', terminal: tty });
    let reply: AbortController | null = null;
    // Ctrl-C: stop the reply being written; at the prompt, leave. readline reports it on a terminal, the process
    // signal otherwise (piped stdin).
    const interrupt = () => (reply ? reply.abort() : rl.close());
    rl.on('SIGINT', interrupt);
    process.on('SIGINT', interrupt);
    let history: Turn[] = [];
    try {
      if (tty) writeErr('gptj chat: /reset forgets the conversation, /exit (or Ctrl-D) leaves, Ctrl-C stops a reply\n');
      rl.prompt();
      for await (const line of rl) {
        const message = line.trim();
        if (message === '/exit') break;
        if (message === '/reset') {
          history = [];
          writeErr('gptj: conversation reset\n');
        } else if (message !== '') {
          const assistant = await answer(message);
          history.push({ user: message, assistant });
        }
        rl.prompt();
      }
    } finally {
      process.off('SIGINT', interrupt);
      rl.close();
      model.dispose();
    }

    /** Streams one reply; the oldest turns are dropped while the prompt does not leave room for it. */
    async function answer(message: string): Promise<string> {
      let ids = tokenizer.encode(chatPrompt(history, message));
      while (ids.length + flags.maxNewTokens > model.maxLength && history.length > 0) {
        history = history.slice(1);
        ids = tokenizer.encode(chatPrompt(history, message));
      }
      reply = new AbortController();
      const options = toGenerateOptions({ ...sampling, seed: flags.seed }, explicit, reply.signal);
      flags.seed = undefined; // later replies draw their own seeds
      process.stdout.write('gptj> ');
      try {
        const result = await runGeneration(model, tokenizer, ids, options, explicit, (delta) => void process.stdout.write(delta));
        process.stdout.write('\n');
        if (result.finishReason === 'abort') writeErr('gptj: reply stopped\n');
        return result.text.trim();
      } finally {
        reply = null;
      }
    }
  });
}
