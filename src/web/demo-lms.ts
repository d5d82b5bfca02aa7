// The demo LMS (`npm run demo` only): a tiny LTI 1.3 platform on its own port — another origin and
// site than the tool — whose page frames the tool and launches it through the real OIDC flow as an
// instructor, a learner or an admin. It exists so a newcomer sees the product without an LMS.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { LTI_CLAIM, LTI_ROLE } from '../lti/index.js';

export type DemoRole = 'instructor' | 'learner' | 'admin' | 'deeplink';

export interface DemoLms {
  issuer: string;
  clientId: string;
  deploymentId: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  close(): Promise<void>;
}

const PEOPLE: Record<DemoRole, { sub: string; name: string; email: string; roles: string[] }> = {
  instructor: { sub: 'demo-instructor', name: 'Ines Instructor', email: 'ines@demo.example', roles: [LTI_ROLE.INSTRUCTOR] },
  deeplink: { sub: 'demo-instructor', name: 'Ines Instructor', email: 'ines@demo.example', roles: [LTI_ROLE.INSTRUCTOR] },
  learner: { sub: 'demo-learner', name: 'Leo Learner', email: 'leo@demo.example', roles: [LTI_ROLE.LEARNER] },
  admin: { sub: 'demo-admin', name: 'Ada Admin', email: 'ada@demo.example', roles: [LTI_ROLE.INSTITUTION_ADMIN, LTI_ROLE.INSTRUCTOR] },
};

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startDemoLms(o: { host: string; port: number; toolUrl: string; course: { id: string; title: string } }): Promise<DemoLms> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(o.port, o.host === '0.0.0.0' ? '127.0.0.1' : o.host, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const issuer = `http://127.0.0.1:${port}`;
  const lms: Omit<DemoLms, 'close'> = {
    issuer,
    clientId: 'badgetrail-demo',
    deploymentId: 'demo-deployment-1',
    authUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    jwksUrl: `${issuer}/jwks`,
  };

  app.get('/', (_req, res) => {
    res.type('html').send(demoPage(o.course.title));
  });
  app.get('/jwks', (_req, res) => {
    res.json({ keys: [jwk] });
  });
  app.get('/launch', (req, res) => {
    const as = (['instructor', 'learner', 'admin', 'deeplink'] as const).find((r) => r === req.query.as) ?? 'learner';
    const login = new URL(`${o.toolUrl}/lti/login`);
    login.search = new URLSearchParams({
      iss: issuer, login_hint: PEOPLE[as].sub, target_link_uri: `${o.toolUrl}/lti/launch`,
      client_id: lms.clientId, lti_deployment_id: lms.deploymentId, lti_message_hint: as,
    }).toString();
    res.redirect(302, login.toString());
  });
  app.get('/auth', (req, res, next) => {
    const q = req.query as Record<string, string | undefined>;
    const as = (['instructor', 'learner', 'admin', 'deeplink'] as const).find((r) => r === q.lti_message_hint);
    if (q.client_id !== lms.clientId || q.redirect_uri !== `${o.toolUrl}/lti/launch` || !q.state || !q.nonce || !as) {
      res.status(400).send('invalid authorization request');
      return;
    }
    idToken(privateKey, kid, lms, as, q.nonce, o)
      .then((token) => res.type('html').send(formPost(q.redirect_uri!, { id_token: token, state: q.state! })))
      .catch(next);
  });
  app.post('/deep-link-return', (_req, res) => {
    res.type('html').send(`<!doctype html><meta charset="utf-8"><body style="font-family:system-ui;padding:24px"><h1>Link placed</h1><p>The demo LMS received the signed deep linking response. In a real LMS the new item now appears in the module.</p><p><a href="/launch?as=instructor">Back to the course panel</a></p></body>`);
  });

  return { ...lms, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function idToken(key: CryptoKey, kid: string, lms: Omit<DemoLms, 'close'>, as: DemoRole, nonce: string, o: { course: { id: string; title: string } }): Promise<string> {
  const person = PEOPLE[as];
  const claims: Record<string, unknown> = {
    nonce, name: person.name, email: person.email,
    [LTI_CLAIM.DEPLOYMENT_ID]: lms.deploymentId,
    [LTI_CLAIM.VERSION]: '1.3.0',
    [LTI_CLAIM.ROLES]: person.roles,
    [LTI_CLAIM.CONTEXT]: { id: o.course.id, label: 'DS101', title: o.course.title },
    [LTI_CLAIM.TOOL_PLATFORM]: { guid: 'demo-lms', name: 'Demo LMS', product_family_code: 'demo', url: lms.issuer },
    [LTI_CLAIM.LAUNCH_PRESENTATION]: { document_target: 'iframe', return_url: `${lms.issuer}/` },
  };
  if (as === 'deeplink') {
    claims[LTI_CLAIM.MESSAGE_TYPE] = 'LtiDeepLinkingRequest';
    claims[LTI_CLAIM.DEEP_LINKING_SETTINGS] = { deep_link_return_url: `${lms.issuer}/deep-link-return`, accept_types: ['ltiResourceLink'], accept_presentation_document_targets: ['iframe'], accept_multiple: false, data: randomUUID() };
  } else {
    claims[LTI_CLAIM.MESSAGE_TYPE] = 'LtiResourceLinkRequest';
    claims[LTI_CLAIM.RESOURCE_LINK] = { id: 'demo-course-link', title: 'Badges' };
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(lms.issuer).setAudience(lms.clientId).setSubject(person.sub)
    .setIssuedAt().setExpirationTime('5m')
    .sign(key);
}

function formPost(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
  return `<!doctype html><meta charset="utf-8"><body><form id="f" method="post" action="${esc(action)}">${inputs}<noscript><button>Continue</button></noscript></form><script>document.getElementById('f').submit()</script></body>`;
}

function demoPage(courseTitle: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Demo LMS</title>
<style>body{margin:0;font-family:system-ui,sans-serif;background:#eef0f3;color:#1c2330}header{background:#26324a;color:#fff;padding:12px 20px;font-weight:600}
.wrap{display:flex;gap:16px;padding:16px;flex-wrap:wrap}nav{flex:0 0 230px}nav h2{font-size:1rem;margin:0 0 8px}nav p{font-size:.85rem;color:#5b6576}
button{display:block;width:100%;margin:6px 0;padding:9px;border-radius:6px;border:1px solid #26324a;background:#fff;font:inherit;cursor:pointer;text-align:left}
button[aria-pressed=true]{background:#26324a;color:#fff}iframe{flex:1 1 600px;min-height:640px;border:1px solid #c9d1dc;border-radius:8px;background:#fff}</style></head>
<body><header>Demo LMS · ${esc(courseTitle)}</header><div class="wrap"><nav><h2>Open Badgetrail as…</h2>
<button data-as="instructor">Instructor (course panel)</button><button data-as="learner">Learner (my badges)</button><button data-as="admin">Admin (organisation)</button><button data-as="deeplink">Instructor placing a link (deep linking)</button>
<p>Each button runs a real LTI 1.3 launch: OIDC login, a signed id_token, and the tool in this frame on another origin, without third-party cookies.</p></nav>
<iframe name="tool" title="Badgetrail" src="about:blank"></iframe></div>
<script>document.querySelectorAll('button[data-as]').forEach(function(b){b.addEventListener('click',function(){document.querySelectorAll('button[data-as]').forEach(function(x){x.setAttribute('aria-pressed','false')});b.setAttribute('aria-pressed','true');document.querySelector('iframe').src='/launch?as='+b.dataset.as;});});</script></body></html>`;
}
