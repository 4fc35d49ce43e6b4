import { describe, expect, it } from 'vitest';
import { fencedBlock, inlineCode } from '../src/markdown.js';

describe('fencedBlock', () => {
  it('uses a plain three-backtick fence for ordinary text', () => {
    expect(fencedBlock('hello')).toBe('```text\nhello\n```');
  });

  it('outgrows any backtick run in the text so the text cannot close the fence', () => {
    const text = 'before\n````\n## Not a heading of ours\n````\nafter';
    expect(fencedBlock(text)).toBe(`\`\`\`\`\`text\n${text}\n\`\`\`\`\``);
  });
});

describe('inlineCode', () => {
  it('wraps a value and flattens newlines', () => {
    expect(inlineCode('a\nb')).toBe('`a b`');
  });

  it('survives backticks inside the value', () => {
    expect(inlineCode('a`b')).toBe('``a`b``');
    expect(inlineCode('`edge`')).toBe('`` `edge` ``');
  });
});
