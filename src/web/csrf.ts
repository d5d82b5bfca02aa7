// Stateless CSRF tokens for first-party forms without a session cookie (the claim page): an HMAC
// of the form's purpose and a timestamp, valid for an hour.
import { createHmac, timingSafeEqual } from 'node:crypto';

const MAX_AGE_MS = 3600_000;

export function createCsrf(secret: string, now: () => Date) {
  const mac = (purpose: string, ts: string) => createHmac('sha256', secret).update(`csrf\n${purpose}\n${ts}`).digest('base64url');
  return {
    issue(purpose: string): string {
      const ts = String(now().getTime());
      return `${ts}.${mac(purpose, ts)}`;
    },
    valid(purpose: string, token: unknown): boolean {
      if (typeof token !== 'string') return false;
      const [ts, sig] = token.split('.');
      if (!ts || !sig || !/^\d+$/.test(ts)) return false;
      const age = now().getTime() - Number(ts);
      if (age < 0 || age > MAX_AGE_MS) return false;
      const expected = Buffer.from(mac(purpose, ts));
      const given = Buffer.from(sig);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}
