import { InputError, renderError } from '@ftcal/core';
import { describe, expect, it } from 'vitest';
import { pageWording } from '../src/wording.ts';

describe('the page’s wording of core’s options', () => {
  it('names the control to change where the CLI names a flag, and keeps the library’s words otherwise', () => {
    const error = (name: string, value?: string) =>
      new InputError({
        code: 'option',
        file: 'x.npy',
        problem: 'p',
        fix: 'pass {option}',
        option: value === undefined ? { name } : { name, value },
      });
    expect(renderError(error('nanPolicy', 'skip'), pageWording)).toBe(
      'x.npy: p; pass “Skip rows with NaN or +Inf logits”',
    );
    expect(renderError(error('device', 'cpu'), pageWording)).toBe('x.npy: p; pass Device “CPU”');
    expect(renderError(error('bins'), pageWording)).toBe('x.npy: p; pass “ECE bins”');
    expect(renderError(error('chunkRows'), pageWording)).toBe('x.npy: p; pass chunkRows');
  });
});
