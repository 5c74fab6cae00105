// The plain chat template `gptj chat` uses on base GPT-J (which was never tuned on any chat format): a preamble,
// then "User:" / "Assistant:" lines. A reply ends where the model starts the user's next line.

export interface Turn {
  user: string;
  assistant: string;
}

export const CHAT_PREAMBLE = 'The following is a conversation between a User and a helpful Assistant.\n';
/** Where a reply ends: the model writing the next user line. */
export const CHAT_STOP = '\nUser:';

/** The prompt for `message` after the turns of `history`: the model continues after "Assistant:". */
export function chatPrompt(history: readonly Turn[], message: string): string {
  const turns = history.map((t) => `\nUser: ${t.user}\nAssistant: ${t.assistant}\n`).join('');
  return `${CHAT_PREAMBLE}${turns}\nUser: ${message}\nAssistant:`;
}
