// OIDC authorization endpoint (1EdTech Security Framework §5.1.1) and a browser entry page for launches.
import express, { type Express, type Request, type Response } from 'express';
import { buildLaunchClaims } from './claims.js';
import type { Platform } from './platform.js';
import { CLAIM } from './types.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** An auto-submitting POST form: how the platform's response reaches the tool (response_mode=form_post). */
export function autoPostForm(action: string, fields: Record<string, string | undefined>): string {
  const inputs = Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n');
  return `<!doctype html><html><body>
<form id="lti" method="post" action="${escapeHtml(action)}">
${inputs}
<noscript><button type="submit">Continue</button></noscript>
</form>
<script>document.getElementById('lti').submit();</script>
</body></html>`;
}

function param(src: Record<string, unknown>, k: string): string | undefined {
  const v = src[k];
  return typeof v === 'string' ? v : undefined;
}

export function mountOidc(app: Express, sim: Platform): void {
  const authorize = async (req: Request, res: Response): Promise<void> => {
    // The browser may come by GET (redirect) or POST (auto-submitted form); both are allowed by OIDC Core §3.1.2.1.
    const src: Record<string, unknown> = req.method === 'POST' ? (req.body ?? {}) : (req.query as Record<string, unknown>);
    const fail = (error_description: string): void => void res.status(400).json({ error: 'invalid_request', error_description });
    const tool = sim.tool;
    if (!tool) return fail('no tool is registered with this platform');

    const hint = param(src, 'lti_message_hint');
    if (!hint) return fail('lti_message_hint missing: the tool must echo the one sent in the login initiation');
    const p = sim.pending.get(hint);
    if (!p) return fail('unknown lti_message_hint');

    const scope = (param(src, 'scope') ?? '').split(' ');
    if (!scope.includes('openid')) return fail('scope must contain openid');
    if (param(src, 'response_type') !== 'id_token') return fail('response_type must be id_token');
    if (param(src, 'client_id') !== tool.clientId) return fail('client_id does not match the registered client');
    const redirectUri = param(src, 'redirect_uri');
    if (!redirectUri || !tool.redirectUris.includes(redirectUri)) return fail('redirect_uri is not one of the registered redirect_uris');
    if (param(src, 'login_hint') !== p.loginHint) return fail('login_hint does not match the one sent');
    const state = param(src, 'state');
    if (!state) return fail('state missing');
    if (param(src, 'response_mode') !== 'form_post') return fail('response_mode must be form_post');
    const nonce = param(src, 'nonce');
    if (!nonce) return fail('nonce missing');
    if (param(src, 'prompt') !== 'none') return fail('prompt must be none');

    const o = p.options;
    const claims = buildLaunchClaims(sim.claimsEnv(tool), p, nonce);
    if (p.dlData !== undefined) {
      // Remember the settings as issued (before any test tampering) to check the tool's response against.
      sim.deepLinkRequests.set(p.dlData, { settings: structuredClone(claims[CLAIM.dlSettings]), deploymentId: sim.deploymentId, used: false });
    }
    await o.mutateClaims?.(claims);
    const idToken = await sim.keys.sign(claims, { key: o.signWith ?? 'platform' });
    const postedState = o.replaceState === undefined ? state : (o.replaceState ?? undefined);
    p.issued = { idToken, ...(postedState !== undefined && { state: postedState }), claims, redirectUri };
    res.type('html').send(autoPostForm(redirectUri, { id_token: idToken, state: postedState }));
  };
  app.get(sim.paths.auth, authorize);
  app.post(sim.paths.auth, express.urlencoded({ extended: false }), authorize);

  // Browser entry: a "course page" framing the tool, as both LMSs embed launches in an iframe by default.
  app.get('/sim/launch/:id', (req, res): void => {
    if (!sim.launchPages.has(req.params.id)) return void res.status(404).send('unknown launch');
    res.type('html').send(`<!doctype html><html><body><h1>Simulated course</h1>
<iframe id="tool" name="tool" src="/sim/launch/${escapeHtml(req.params.id)}/start" style="width:100%;height:80vh" allow="clipboard-write"></iframe>
</body></html>`);
  });
  app.get('/sim/launch/:id/start', (req, res): void => {
    const init = sim.launchPages.get(req.params.id);
    if (!init) return void res.status(404).send('unknown launch');
    if (init.method === 'GET') return void res.redirect(302, init.url);
    res.type('html').send(autoPostForm(init.url, Object.fromEntries(init.params)));
  });
}
