// Identifiers and opaque tokens. Tokens are random and only their hashes are stored.
import { createHash, randomFillSync, randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();

// Random bytes are drawn from the CSPRNG 8 kB at a time and each byte handed out once, as
// randomUUID does with its own cache: a batch of 1,000 awards draws two tokens an award, and one
// draw per token cost 10 µs an award.
const pool = Buffer.alloc(8192);
let taken = pool.length;

/** An unguessable URL-safe token (256 bits). */
export const newToken = (bytes = 32): string => {
  if (bytes > pool.length) return randomFillSync(Buffer.alloc(bytes)).toString('base64url');
  if (taken + bytes > pool.length) {
    randomFillSync(pool);
    taken = 0;
  }
  taken += bytes;
  return pool.toString('base64url', taken - bytes, taken);
};

export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');
