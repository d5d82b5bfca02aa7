// A minimal browser cookie jar for the tool's origin. launch() plays the user's browser, and most tools
// bind `state` to the browser with a cookie, so the cookies set at login initiation must come back with
// the id_token POST — but only those a real browser would send on a cross-site form POST.
import type { CookiePolicy } from './types.js';

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  sameSite: 'none' | 'lax' | 'strict' | 'unspecified';
  secure: boolean;
  expiresAt?: number;
}

export interface CookieSelection {
  header?: string | undefined;
  sent: string[];
  withheld: Array<{ name: string; reason: string }>;
}

function defaultPath(url: URL): string {
  // RFC 6265 §5.1.4: the directory of the request path.
  const p = url.pathname;
  if (!p.startsWith('/') || p.lastIndexOf('/') === 0) return '/';
  return p.slice(0, p.lastIndexOf('/'));
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  /** Absorbs the Set-Cookie headers of a response to `url`. */
  store(headers: Headers, url: URL): void {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const c: StoredCookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        path: defaultPath(url),
        sameSite: 'unspecified',
        secure: false,
      };
      for (const attr of attrs) {
        const [k = '', v = ''] = attr.split('=').map((s) => s.trim());
        switch (k.toLowerCase()) {
          case 'path':
            if (v.startsWith('/')) c.path = v;
            break;
          case 'samesite':
            c.sameSite = (['none', 'lax', 'strict'].includes(v.toLowerCase()) ? v.toLowerCase() : 'unspecified') as StoredCookie['sameSite'];
            break;
          case 'secure':
            c.secure = true;
            break;
          case 'max-age':
            c.expiresAt = Date.now() + Number(v) * 1000;
            break;
          case 'expires':
            if (c.expiresAt === undefined && !Number.isNaN(Date.parse(v))) c.expiresAt = Date.parse(v);
            break;
        }
      }
      const key = `${c.name};${c.path}`;
      if (c.expiresAt !== undefined && c.expiresAt <= Date.now()) this.cookies.delete(key);
      else this.cookies.set(key, c);
    }
  }

  /**
   * Cookies for a request to `url`. In 'cross-site' mode only SameSite=None cookies are sent, and those
   * need Secure (Chrome rejects SameSite=None without it); 127.0.0.1 counts as a secure origin.
   */
  select(url: URL, policy: CookiePolicy): CookieSelection {
    const sent: string[] = [];
    const withheld: CookieSelection['withheld'] = [];
    const pairs: string[] = [];
    for (const c of this.cookies.values()) {
      if (c.expiresAt !== undefined && c.expiresAt <= Date.now()) continue;
      if (!pathMatches(url.pathname, c.path)) continue;
      let reason: string | undefined;
      if (policy === 'none') reason = 'third-party cookies blocked';
      else if (policy === 'cross-site') {
        if (c.sameSite !== 'none') reason = `SameSite=${c.sameSite === 'unspecified' ? 'Lax (default)' : c.sameSite} is not sent on a cross-site POST`;
        else if (!c.secure) reason = 'SameSite=None without Secure is rejected by browsers';
      }
      if (reason) withheld.push({ name: c.name, reason });
      else {
        sent.push(c.name);
        pairs.push(`${c.name}=${c.value}`);
      }
    }
    return { header: pairs.length ? pairs.join('; ') : undefined, sent, withheld };
  }
}
