import { describe, expect, it } from 'vitest';
import { makeTheme } from '../../source/tui/theme.js';

describe('theme', () => {
  it('has colours, and none at all when NO_COLOR is set', () => {
    expect(makeTheme({}).color('accent')).toBe('cyan');
    expect(makeTheme({ NO_COLOR: '1' }).color('accent')).toBeUndefined();
    expect(makeTheme({ NO_COLOR: '1' }).color('danger')).toBeUndefined();
  });
});
