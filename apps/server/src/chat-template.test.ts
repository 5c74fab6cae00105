import { describe, expect, it } from 'vitest';
import { CHAT_STOP, renderChat } from './chat-template.js';

describe('renderChat', () => {
  it('renders speaker blocks and leaves the assistant turn open', () => {
    const text = renderChat([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: 'Hi.' },
      { role: 'user', content: 'Bye' },
    ]);
    expect(text).toBe('System: You are terse.\n\nUser: Hello\n\nAssistant: Hi.\n\nUser: Bye\n\nAssistant:');
  });

  it('stops where the model would open the next user or system turn', () => {
    expect(CHAT_STOP).toEqual(['\nUser:', '\nSystem:']);
  });
});
