// Tokens come from a pool of random bytes refilled whole: each byte is handed out once and in
// order, whatever the sizes asked for, across refills, at an exact fit and beyond the pool's size.
import { randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTokenSource, newToken } from '../../src/shared/index.js';

describe('tokens', () => {
  it('cut every token from bytes drawn once, in the order drawn', () => {
    // every pool's worth of bytes the source draws, in order, and the draws of tokens larger than
    // the pool apart; a token must be the next unread run of the pools' bytes (or start after a
    // run the source dropped at a refill), a large one its own draw
    const pools: Buffer[] = [];
    const own: Buffer[] = [];
    const token = createTokenSource((b) => {
      randomFillSync(b);
      (b.length === 64 ? pools : own).push(Buffer.from(b));
    }, 64);
    const sizes = [32, 16, 16, 64, 5, 100, 4, 0, 60, 4, 33, 31, 64, 7];
    const tokens = Array.from({ length: 40 }, (_, i) => sizes[i % sizes.length]!).map((size) => ({ size, bytes: Buffer.from(token(size), 'base64url') }));
    const stream = Buffer.concat(pools);
    let cursor = 0;
    const large = tokens.filter((t) => t.size > 64);
    expect(large.map((t) => t.bytes)).toEqual(own);
    for (const { size, bytes } of tokens) {
      expect(bytes).toHaveLength(size);
      if (size === 0 || size > 64) continue;
      const at = stream.indexOf(bytes, cursor);
      expect(at, `a token of ${size} bytes found among the bytes not yet handed out`).toBeGreaterThanOrEqual(cursor);
      cursor = at + size;
    }
    // the pool is drawn again only when a token does not fit, so never more often than tokens
    // that fit it were asked for
    expect(pools.length).toBeLessThanOrEqual(tokens.filter((t) => t.size <= 64 && t.size > 0).length);
  });

  it('are URL-safe and of the size asked, 32 bytes by default, and refuse a size that is no whole number of bytes', () => {
    const many = Array.from({ length: 5_000 }, () => newToken());
    expect(new Set(many).size).toBe(many.length);
    for (const t of many.slice(0, 100)) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(newToken(16), 'base64url')).toHaveLength(16);
    expect(newToken(0)).toBe('');
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => newToken(bad)).toThrow(RangeError);
  });
});
