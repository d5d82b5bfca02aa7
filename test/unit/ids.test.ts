// Tokens come from a pool of random bytes refilled 8 kB at a time: each byte is handed out once,
// whatever the sizes asked for, across refills and beyond the pool's size.
import { describe, expect, it } from 'vitest';
import { newToken } from '../../src/shared/index.js';

describe('newToken', () => {
  it('gives URL-safe tokens of the size asked, never the same bytes twice', () => {
    const sizes = [32, 16, 7, 32, 1, 9000, 33];
    const tokens = Array.from({ length: 7_000 }, (_, i) => ({ size: sizes[i % sizes.length]!, token: newToken(sizes[i % sizes.length]) }));
    for (const { size, token } of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(size);
    }
    // 32-byte tokens cover the pool's refills (7,000 draws of about 1.3 kB on average)
    const long = tokens.filter((t) => t.size === 32).map((t) => t.token);
    expect(new Set(long).size).toBe(long.length);
    // overlapping bytes would show as the same 8-byte run in two tokens
    const runs = new Set<string>();
    let total = 0;
    for (const { size, token } of tokens) {
      if (size < 8) continue;
      const bytes = Buffer.from(token, 'base64url');
      for (let i = 0; i + 8 <= bytes.length; i += 8) {
        runs.add(bytes.toString('hex', i, i + 8));
        total += 1;
      }
    }
    expect(runs.size).toBe(total);
    expect(newToken()).toHaveLength(43);
  });
});
