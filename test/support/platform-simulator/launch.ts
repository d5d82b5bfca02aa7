// launch(): plays the user's browser through the OIDC third-party-initiated login (LTI Core 1.3 §4,
// Security Framework §5.1.1): platform -> tool login URL -> platform auth endpoint -> form_post to the tool.
// Redirects are never followed automatically, so every hop can be inspected.
import { CookieJar } from './cookies.js';
import type { Platform } from './platform.js';
import type { HttpResult, LaunchOptions, LaunchResult } from './types.js';

async function toResult(res: globalThis.Response): Promise<HttpResult> {
  return { status: res.status, location: res.headers.get('location') ?? undefined, body: await res.text(), headers: res.headers };
}

function decodeEntities(s: string): string {
  // As a browser does: numeric entities (decimal and hex) and the named ones a URL can contain.
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_m, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#([0-9]+);/g, (_m, dec: string) => String.fromCodePoint(parseInt(dec, 10)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** How the browser goes on to the platform's authorization endpoint. */
export interface AuthRequest {
  method: 'GET' | 'POST';
  url: URL;
  params: URLSearchParams;
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`(?<![\\w-])${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return m ? decodeEntities(m[1] ?? m[2] ?? '') : undefined;
}

/**
 * When the tool answers the login with a page instead of a redirect (LTI client-side postMessage storage,
 * lti_storage_target), the page must still reveal where it sends the browser. We cannot run its script, so
 * look for: a data-auth-url attribute; a <form> whose action is the auth endpoint (submitted with its
 * inputs); any URL (attribute or JS string) starting with the auth endpoint URL.
 */
export function findAuthRequest(html: string, authUrl: string): AuthRequest | undefined {
  const isAuth = (u: URL) => u.origin + u.pathname === authUrl;
  const parse = (raw: string): URL | undefined => {
    try {
      return new URL(decodeEntities(raw).replace(/\\u0026/g, '&').replace(/\\\//g, '/'));
    } catch {
      return undefined;
    }
  };
  const get = (url: URL): AuthRequest => ({ method: 'GET', url, params: url.searchParams });

  const data = /<[^>]*\bdata-auth-url\s*=[^>]*>/i.exec(html);
  const dataUrl = data && parse(attr(data[0], 'data-auth-url') ?? '');
  if (dataUrl && isAuth(dataUrl)) return get(dataUrl);

  for (const form of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const action = parse(attr(form[1] ?? '', 'action') ?? '');
    if (!action || !isAuth(action)) continue;
    const params = new URLSearchParams(action.search);
    for (const input of (form[2] ?? '').matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (name) params.append(name, attr(input[0], 'value') ?? '');
    }
    const method = (attr(form[1] ?? '', 'method') ?? 'GET').toUpperCase() === 'POST' ? 'POST' : 'GET';
    const url = new URL(action.origin + action.pathname);
    if (method === 'GET') url.search = params.toString();
    return { method, url, params };
  }

  const escaped = authUrl.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  for (const m of html.matchAll(new RegExp(`${escaped}[^"'\\s<>\`]*`, 'g'))) {
    const url = parse(m[0]);
    if (url && isAuth(url)) return get(url);
  }
  return undefined;
}

export async function runLaunch(sim: Platform, o: LaunchOptions): Promise<LaunchResult> {
  const init = await sim.prepareLaunch(o);
  const jar = new CookieJar();
  const noCookies = { sent: [], withheld: [] };

  // 1. Login initiation, as the platform's page sends the browser to the tool (Canvas posts a form).
  const loginUrl = new URL(init.url);
  const loginRes =
    init.method === 'GET'
      ? await fetch(loginUrl, { redirect: 'manual' })
      : await fetch(loginUrl, { method: 'POST', body: init.params, redirect: 'manual' });
  jar.store(loginRes.headers, loginUrl);
  const login = await toResult(loginRes);
  const loginResponse = { status: login.status, location: login.location, body: login.body };

  let authTarget: AuthRequest | undefined;
  if (login.status >= 300 && login.status < 400 && login.location) {
    const target = new URL(login.location, loginUrl);
    if (target.origin + target.pathname === sim.authUrl) authTarget = { method: 'GET', url: target, params: target.searchParams };
  } else if (login.status === 200) {
    authTarget = findAuthRequest(login.body, sim.authUrl);
  }
  if (!authTarget) {
    // The tool did not send the browser to us: status 0 signals "flow stopped at the tool's login".
    return {
      stage: 'login',
      loginResponse,
      response: { status: 0, body: login.body, headers: login.headers, location: login.location },
      cookies: noCookies,
      replay: () => Promise.reject(new Error('launch stopped at login initiation; nothing to replay')),
    };
  }

  // 2. Authentication request at the platform.
  const authRequest = authTarget.params;
  const authRes = await toResult(
    authTarget.method === 'GET'
      ? await fetch(authTarget.url, { redirect: 'manual' })
      : await fetch(authTarget.url, { method: 'POST', body: authTarget.params, redirect: 'manual' }),
  );
  const authResponse = { status: authRes.status, body: authRes.body };
  const issued = sim.pending.get(init.messageHint)?.issued;
  if (authRes.status !== 200 || !issued) {
    return {
      stage: 'auth',
      loginResponse,
      authRequest,
      authResponse,
      response: authRes,
      cookies: noCookies,
      replay: () => Promise.reject(new Error('authorization was refused; nothing to replay')),
    };
  }

  // 3. The auto-submitted form_post of id_token (+ state) to the tool's redirect_uri — a cross-site POST.
  const form: { id_token: string; state?: string } = { id_token: issued.idToken };
  if (issued.state !== undefined) form.state = issued.state;
  await o.beforeLaunchPost?.(form);
  const redirectUrl = new URL(issued.redirectUri);
  const cookies = jar.select(redirectUrl, o.cookies ?? 'cross-site');
  const post = async (): Promise<HttpResult> => {
    const body = new URLSearchParams();
    body.set('id_token', form.id_token);
    if (form.state !== undefined) body.set('state', form.state);
    const headers: Record<string, string> = { origin: sim.origin };
    if (cookies.header) headers.cookie = cookies.header;
    return toResult(await fetch(redirectUrl, { method: 'POST', body, headers, redirect: 'manual' }));
  };
  const response = await post();
  return {
    stage: 'launch',
    loginResponse,
    authRequest,
    authResponse,
    idToken: form.id_token,
    state: form.state,
    claims: issued.claims,
    response,
    cookies: { sent: cookies.sent, withheld: cookies.withheld },
    replay: post,
  };
}
