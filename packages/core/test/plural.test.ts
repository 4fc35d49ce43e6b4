import { describe, expect, it } from 'vitest';
import { plural } from '../src/index.js';

describe('plural', () => {
  it('puts the noun in the right number', () => {
    expect(plural(1, 'round')).toBe('1 round');
    expect(plural(0, 'round')).toBe('0 rounds');
    expect(plural(2, 'round')).toBe('2 rounds');
    expect(plural(2, 'backlog entry', 'backlog entries')).toBe('2 backlog entries');
    expect(plural(1, 'backlog entry', 'backlog entries')).toBe('1 backlog entry');
  });
});
