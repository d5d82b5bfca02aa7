// Identifiers and opaque tokens. Tokens are random and only their hashes are stored.
import { createHash, randomFillSync, randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();

/**
 * Tokens cut from a pool of CSPRNG bytes, each byte handed out once and the pool refilled whole
 * when the next token does not fit (what is left is dropped), as randomUUID does with its own
 * cache: a batch of 1,000 awards draws two tokens an award, and one draw per token cost 10 µs an
 * award. The pool holds up to `size` bytes of tokens not yet made, in this process's memory only.
 */
export function createTokenSource(fill: (buffer: Buffer) => void = randomFillSync, size = 8192): (bytes?: number) => string {
  const pool = Buffer.alloc(size);
  let taken = size;
  return (bytes = 32) => {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`a token's size must be a whole number of bytes, not ${bytes}`);
    if (bytes > size) {
      const own = Buffer.alloc(bytes);
      fill(own);
      return own.toString('base64url');
    }
    if (taken + bytes > size) {
      fill(pool);
      taken = 0;
    }
    taken += bytes;
    return pool.toString('base64url', taken - bytes, taken);
  };
}

/** An unguessable URL-safe token (256 bits by default). */
export const newToken = createTokenSource();

export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');
