// The credential at its stable URL (PRODUCT.md §7): content negotiation (HTML page, signed JSON /
// JSON-LD, compact VC-JWT), privacy (a private award exists only for its learner, who comes with
// the launch token of a real LTI launch), the verify button's endpoint and its `verified` events,
// verification of presented credentials, expiry, the LinkedIn link, and baked downloads.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildBadge, type World } from '../support/builders.js';
import { buildUser, launchTo, registeredPlatform } from '../support/lti.js';
import { CONFORMANCE, validateCredential } from '../support/ob3.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';

let app: TestApp;
let sim: PlatformSimulator;
let w: World;
let issuerName: string;
let owner: { userId: string; ltik: string; name: string };
let stranger: { ltik: string };

const CONTEXT = { id: `ctx-page-${randomUUID().slice(0, 6)}`, title: 'Data Science 101', label: 'DS101' };

async function learnerLaunch(name: string) {
  const user = buildUser('learner', { name });
  const { ltik } = await launchTo(app, sim, user, { context: CONTEXT });
  const rows = await app.testDb.db.query<{ id: string; tenant_id: string; platform_id: string }>('select id, tenant_id, platform_id from users where lms_user_id = $1', [user.sub]);
  expect(rows).toHaveLength(1);
  return { ltik, userId: rows[0]!.id, tenantId: rows[0]!.tenant_id, platformId: rows[0]!.platform_id };
}

beforeAll(async () => {
  app = await startTestApp();
  sim = await startPlatform({ product: 'moodle' });
  await registeredPlatform(app, sim);
  const first = await learnerLaunch('Grace Hopper');
  owner = { userId: first.userId, ltik: first.ltik, name: 'Grace Hopper' };
  stranger = { ltik: (await learnerLaunch('Alan Turing')).ltik };
  const course = await app.testDb.db.query<{ id: string }>('select id from courses where tenant_id = $1 and lms_context_id = $2', [first.tenantId, CONTEXT.id]);
  w = { tenantId: first.tenantId, platformId: first.platformId, courseId: course[0]!.id, lmsContextId: CONTEXT.id };
  issuerName = (await app.testDb.db.query<{ name: string }>('select name from tenants where tenant_id = $1', [w.tenantId]))[0]!.name;
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
});

async function issue(over: { badge?: Record<string, unknown>; awardedAt?: Date; public?: boolean; showName?: boolean; accepted?: boolean } = {}) {
  const badge = await buildBadge(app, w, over.badge ?? {});
  const { award } = await app.built.services.awards.issue({ tenantId: w.tenantId, badgeId: badge.id, userId: owner.userId, method: 'manual', ...(over.awardedAt ? { awardedAt: over.awardedAt } : {}) });
  await app.testDb.db.query('update awards set is_public = $2, show_name = $3, accepted_at = $4 where id = $1', [award.id, over.public ?? true, over.showName ?? false, over.accepted ? new Date() : null]);
  return { badge, award, url: `${app.url}/ob/credentials/${award.id}` };
}

const get = (url: string, accept?: string, headers: Record<string, string> = {}) => fetch(url, { headers: { ...(accept ? { accept } : {}), ...headers } });

const decodeEntities = (s: string) =>
  s.replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function meta(html: string, attr: 'property' | 'name', key: string): string | null {
  const m = new RegExp(`<meta ${attr}="${key}" content="([^"]*)">`).exec(html);
  return m ? decodeEntities(m[1]!) : null;
}

function linkedInHref(html: string): URL | null {
  const m = /href="(https:\/\/www\.linkedin\.com\/profile\/add[^"]*)"/.exec(html);
  return m ? new URL(decodeEntities(m[1]!)) : null;
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

async function verifyEvents(awardId: string) {
  return app.testDb.db.query<{ channel: string; is_bot: boolean; tenant_id: string; learner_id: string }>(
    `select channel, is_bot, tenant_id, learner_id from events where award_id = $1 and type = 'verified' order by id`, [awardId]);
}

describe('GET /ob/credentials/:id as an HTML page', () => {
  it('shows the badge, issuer, criteria, skills, dates, status and the verify button, with share meta tags', async () => {
    const { badge, award, url } = await issue({ badge: { validForDays: 365 } });
    const res = await get(url, 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('vary')).toMatch(/accept/i);
    const html = await res.text();
    expect(html).toContain(`<h1>${badge.name}</h1>`);
    expect(html).toContain(`<strong>${issuerName}</strong>`);
    expect(html).toContain('<h2>Criteria</h2><p>Complete Module 3 with a score of at least 80 %.</p>');
    expect(html).toContain('<a href="https://skills.example/data-ethics" rel="noopener">Data ethics</a>');
    expect(html).toContain('<li>GDPR basics</li>');
    expect(html).toContain(`Issued ${isoDate(award.awardedAt)}`);
    expect(award.validUntil).not.toBeNull();
    expect(isoDate(award.validUntil!)).toBe(isoDate(new Date(award.awardedAt.getTime() + 365 * 864e5)));
    expect(html).toContain(`expires ${isoDate(award.validUntil!)}`);
    expect(html).toContain('<span class="pill ok">Valid</span>');
    expect(html).not.toContain('Expired');
    expect(html).toMatch(/<button[^>]*id="verify-button"[^>]*>Verify this badge<\/button>/);
    expect(html).toContain(`data-url="${url}/verify"`);
    expect(meta(html, 'property', 'og:title')).toBe(`${badge.name} — ${issuerName}`);
    expect(meta(html, 'property', 'og:image')).toBe(`${app.url}/ob/achievements/${badge.id}/image`);
    expect(meta(html, 'property', 'og:url')).toBe(url);
    expect(meta(html, 'name', 'twitter:card')).toBe('summary');
    // Not the owner, name not made public, not accepted: no name and no LinkedIn button.
    expect(html).not.toContain(owner.name);
    expect(linkedInHref(html)).toBeNull();
  });

  it('serves the page to a client that accepts anything', async () => {
    const { url } = await issue();
    const res = await get(url);
    expect(res.headers.get('content-type')).toContain('text/html');
  });
});

describe('content negotiation', () => {
  it('gives the Data Integrity-signed credential for application/json and application/ld+json', async () => {
    const { award, url } = await issue();
    for (const accept of ['application/json', 'application/ld+json']) {
      const res = await get(url, accept);
      expect(res.status, accept).toBe(200);
      expect(res.headers.get('content-type'), accept).toMatch(new RegExp(`^${accept.replace('+', '\\+')}\\b`));
      const credential = await res.json();
      expect(credential.id).toBe(url);
      expect(credential.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
      expect(Array.isArray(credential.proof)).toBe(true);
      expect(credential.proof).toHaveLength(1);
      expect(credential.proof[0]).toMatchObject({ type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'assertionMethod' });
      expect(credential.credentialSubject.id).toBe(`urn:uuid:${award.userId}`);
    }
  });

  it('gives the compact VC-JWT for application/vc+jwt and for ?format=jwt', async () => {
    const { award, url } = await issue();
    const byAccept = await get(url, 'application/vc+jwt');
    expect(byAccept.status).toBe(200);
    expect(byAccept.headers.get('content-type')).toMatch(/^application\/vc\+jwt/);
    const jwt = await byAccept.text();
    expect(jwt).toBe(award.credentialJwt!);
    expect(jwt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const byQuery = await get(`${url}?format=jwt`, 'text/html');
    expect(byQuery.headers.get('content-type')).toMatch(/^application\/vc\+jwt/);
    expect(await byQuery.text()).toBe(jwt);
  });
});

describe('privacy', () => {
  it('answers 404 for a private award in every form, except to its own learner', async () => {
    const { badge, award, url } = await issue({ public: false });
    const forms: Array<[string, string | undefined]> = [[url, 'text/html'], [url, 'application/json'], [url, 'application/ld+json'], [url, 'application/vc+jwt'], [`${url}?format=jwt`, undefined], [`${url}/baked.svg`, undefined]];
    for (const [u, accept] of forms) {
      const anonymous = await get(u, accept);
      expect(anonymous.status, `${u} ${accept}`).toBe(404);
      const body = await anonymous.text();
      expect(body, `${u} ${accept}`).not.toContain(badge.name);
      expect(body).not.toContain('eyJ');
      // Another learner of the same course, with a valid launch token of their own.
      const sep = u.includes('?') ? '&' : '?';
      expect((await get(`${u}${sep}ltik=${stranger.ltik}`, accept)).status, `stranger ${u} ${accept}`).toBe(404);
      expect((await get(`${u}${sep}ltik=forged`, accept)).status).toBe(404);
      const own = await get(`${u}${sep}ltik=${owner.ltik}`, accept);
      expect(own.status, `owner ${u} ${accept}`).toBe(200);
    }
    const ownJwt = await (await get(`${url}?format=jwt&ltik=${owner.ltik}`)).text();
    expect(ownJwt).toBe(award.credentialJwt!);
    const ownHtml = await (await get(`${url}?ltik=${owner.ltik}`, 'text/html')).text();
    expect(ownHtml).toContain(`<h1>${badge.name}</h1>`);
  });

  it('does not verify a private award for others, nor record a verification of it', async () => {
    // The verify endpoint belongs to the page: a private award is "no such credential" to anyone
    // without its learner's launch token, so its revocation and expiry state are not disclosed.
    const { award } = await issue({ public: false });
    const res = await fetch(`${app.url}/ob/credentials/${award.id}/verify`, { method: 'POST', headers: { 'user-agent': 'Mozilla/5.0' } });
    expect(res.status).toBe(404);
    expect(await verifyEvents(award.id)).toHaveLength(0);
  });

  it('shows the recipient\'s name only when they chose to, or to themselves', async () => {
    const hidden = await issue({ showName: false });
    expect(await (await get(hidden.url, 'text/html')).text()).not.toContain(owner.name);
    const ownView = await (await get(`${hidden.url}?ltik=${owner.ltik}`, 'text/html')).text();
    expect(ownView).toContain(`Earned by ${owner.name}`);
    const strangerView = await (await get(`${hidden.url}?ltik=${stranger.ltik}`, 'text/html')).text();
    expect(strangerView).not.toContain(owner.name);

    const shown = await issue({ showName: true });
    expect(await (await get(shown.url, 'text/html')).text()).toContain(`Earned by ${owner.name}`);
  });

  it('answers 404 for an unknown id and for an id that is not a UUID', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', '12345']) {
      for (const accept of ['text/html', 'application/json']) {
        const res = await get(`${app.url}/ob/credentials/${id}`, accept);
        expect(res.status, `${id} ${accept}`).toBe(404);
      }
      const json = await get(`${app.url}/ob/credentials/${id}`, 'application/json');
      expect((await json.json()).error.code).toBe('credential_not_found');
      expect((await fetch(`${app.url}/ob/credentials/${id}/verify`, { method: 'POST' })).status, id).toBe(404);
    }
  });

  it('answers 404, not 500, for a 36-character id that is not a UUID', async () => {
    for (const id of ['0123456789abcdef0123456789abcdef0123', '------------------------------------']) {
      const res = await get(`${app.url}/ob/credentials/${id}`, 'application/json');
      expect(res.status, id).toBe(404);
      expect((await fetch(`${app.url}/ob/credentials/${id}/verify`, { method: 'POST' })).status, id).toBe(404);
    }
  });
});

describe('verification', () => {
  it('verifies both proofs from the page\'s button and records where the verification came from', async () => {
    const { award, badge } = await issue({ badge: { validForDays: 30 } });
    const res = await fetch(`${app.url}/ob/credentials/${award.id}/verify`, {
      method: 'POST',
      headers: { referer: 'https://www.linkedin.com/feed/', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0' },
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.verified).toBe(true);
    expect(body.credentialId).toBe(`${app.url}/ob/credentials/${award.id}`);
    for (const proof of ['vc-jwt', 'data-integrity']) {
      const result = body.proofs[proof];
      expect(result.verified, proof).toBe(true);
      const checks = result.checks as Array<{ check: string; ok: boolean; message: string }>;
      expect(checks.map((c) => c.check).sort(), proof).toEqual(['expiry', 'issuer', 'signature', 'status']);
      for (const c of checks) expect(c.ok, `${proof} ${c.check}: ${c.message}`).toBe(true);
    }
    let events = await verifyEvents(award.id);
    expect(events).toEqual([{ channel: 'linkedin', is_bot: false, tenant_id: w.tenantId, learner_id: owner.userId }]);
    const row = await app.testDb.db.query<{ badge_id: string; course_id: string }>(`select badge_id, course_id from events where award_id = $1 and type = 'verified'`, [award.id]);
    expect(row[0]).toEqual({ badge_id: badge.id, course_id: w.courseId });

    const bot = await fetch(`${app.url}/ob/credentials/${award.id}/verify`, { method: 'POST', headers: { referer: 'https://www.linkedin.com/feed/', 'user-agent': 'LinkedInBot/1.0' } });
    expect(bot.status).toBe(200);
    events = await verifyEvents(award.id);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ channel: 'linkedin', is_bot: true });
  });

  it('POST /ob/verify accepts our JWT and JSON credential, and refuses tampered ones with the failing check', async () => {
    const { award, url } = await issue();
    const post = (body: string, type: string) => fetch(`${app.url}/ob/verify`, { method: 'POST', headers: { 'content-type': type }, body }).then(async (r) => ({ status: r.status, json: await r.json() }));

    const good = await post(award.credentialJwt!, 'application/vc+jwt');
    expect(good.status).toBe(200);
    expect(good.json.verified, JSON.stringify(good.json)).toBe(true);

    const [h, p, s] = award.credentialJwt!.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.name = 'Master of Everything';
    const forged = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
    for (const [body, type] of [[forged, 'application/vc+jwt'], [JSON.stringify({ jwt: forged }), 'application/json']] as const) {
      const bad = await post(body, type);
      expect(bad.status).toBe(200);
      expect(bad.json.verified).toBe(false);
      const sig = bad.json.checks.find((c: { check: string }) => c.check === 'signature');
      expect(sig.ok).toBe(false);
      expect(sig.message).toMatch(/signature does not verify/);
    }

    const credential = await (await get(url, 'application/json')).json();
    const goodJson = await post(JSON.stringify({ credential }), 'application/json');
    expect(goodJson.json.verified, JSON.stringify(goodJson.json)).toBe(true);
    const tampered = structuredClone(credential);
    tampered.credentialSubject.achievement.name = 'Master of Everything';
    const badJson = await post(JSON.stringify({ credential: tampered }), 'application/json');
    expect(badJson.json.verified).toBe(false);
    expect(badJson.json.proof).toBe('data-integrity');
    expect(badJson.json.checks.find((c: { check: string }) => c.check === 'signature').ok).toBe(false);
    const bare = await post(JSON.stringify(tampered), 'application/ld+json');
    expect(bare.json.verified).toBe(false);
  });

  it('reports an expired credential: expiry check fails, the page says Expired', async () => {
    const awardedAt = new Date(Date.now() - 5 * 864e5);
    const { award, url } = await issue({ badge: { validForDays: 1 }, awardedAt });
    expect(award.validUntil!.getTime()).toBe(awardedAt.getTime() + 864e5);
    expect((award.credential as { validUntil?: string }).validUntil).toBe(new Date(awardedAt.getTime() + 864e5).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const body = await (await fetch(`${url}/verify`, { method: 'POST', headers: { 'user-agent': 'Mozilla/5.0' } })).json();
    expect(body.verified).toBe(false);
    for (const proof of ['vc-jwt', 'data-integrity']) {
      const checks = body.proofs[proof].checks as Array<{ check: string; ok: boolean; message: string }>;
      const expiry = checks.find((c) => c.check === 'expiry')!;
      expect(expiry.ok, proof).toBe(false);
      expect(expiry.message).toMatch(/expired/i);
      expect(checks.find((c) => c.check === 'signature')!.ok, proof).toBe(true);
      expect(checks.find((c) => c.check === 'status')!.ok, proof).toBe(true);
    }
    const html = await (await get(url, 'text/html')).text();
    expect(html).toContain('<span class="pill warn">Expired</span>');
    expect(html).not.toContain('<span class="pill ok">Valid</span>');
    expect(html).toContain(`expires ${isoDate(award.validUntil!)}`);
  });

  it('serves a credential without skills or expiry that validates against the official schema', async () => {
    const { url } = await issue({ badge: { skills: [] } });
    const credential = await (await get(url, 'application/json')).json();
    expect(credential.validUntil).toBeUndefined();
    expect(credential.credentialSubject.achievement.alignment).toBeUndefined();
    expect(validateCredential(credential), JSON.stringify(validateCredential.errors)).toBe(true);
  });
});

describe('LinkedIn', () => {
  it('offers "Add to profile" to the owner of an accepted award, with the certification fields', async () => {
    const { badge, award, url } = await issue({ accepted: true, badge: { validForDays: 400 } });
    const html = await (await get(`${url}?ltik=${owner.ltik}`, 'text/html')).text();
    const link = linkedInHref(html);
    expect(link, 'LinkedIn link').not.toBeNull();
    const q = link!.searchParams;
    expect(link!.origin + link!.pathname).toBe('https://www.linkedin.com/profile/add');
    expect(q.get('startTask')).toBe('CERTIFICATION_NAME');
    expect(q.get('name')).toBe(badge.name);
    expect(q.get('organizationName')).toBe(issuerName);
    expect(q.get('issueYear')).toBe(String(award.awardedAt.getUTCFullYear()));
    expect(q.get('issueMonth')).toBe(String(award.awardedAt.getUTCMonth() + 1));
    expect(q.get('expirationYear')).toBe(String(award.validUntil!.getUTCFullYear()));
    expect(q.get('certUrl')!.startsWith(url)).toBe(true);
    expect(q.get('certId')).toBe(award.id);

    // Not for a visitor, and not before the learner accepted it.
    expect(linkedInHref(await (await get(url, 'text/html')).text())).toBeNull();
    const pending = await issue({ accepted: false });
    expect(linkedInHref(await (await get(`${pending.url}?ltik=${owner.ltik}`, 'text/html')).text())).toBeNull();
  });
});

// ---- baked downloads ---------------------------------------------------------------------------

function pngCredential(png: Buffer): string[] {
  const texts: string[] = [];
  let at = 8;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('latin1');
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'iTXt' && data.subarray(0, data.indexOf(0)).toString('latin1') === 'openbadgecredential') {
      const lang = data.indexOf(0, data.indexOf(0) + 3);
      const translated = data.indexOf(0, lang + 1);
      texts.push(data.subarray(translated + 1).toString('utf8'));
    }
    at += 12 + length;
  }
  return texts;
}

describe('baked downloads', () => {
  it('bakes the VC-JWT into the generated SVG of a badge without an image', async () => {
    const { badge, url } = await issue({ badge: { name: 'Baked Goods' } });
    expect(badge.imageId).toBeNull();
    const res = await get(`${url}/baked.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('image/svg+xml');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="Baked-Goods.svg"');
    const svg = await res.text();
    expect(svg).toMatch(/^<svg [^>]*xmlns:openbadges="https:\/\/purl\.imsglobal\.org\/ob\/v3p0"/);
    const baked = /<openbadges:credential verify="([^"]+)"/.exec(svg)![1]!;
    const jwt = await (await get(`${url}?format=jwt`)).text();
    expect(baked).toBe(jwt);
    const { payload } = await jwtVerify(baked, createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)));
    expect(payload.jti).toBe(url);
    // No PNG to bake into.
    const png = await get(`${url}/baked.png`, 'application/json');
    expect(png.status).toBe(404);
    expect((await png.json()).error.code).toBe('no_png_image');
  });

  it('bakes the VC-JWT into an uploaded PNG, replacing a credential the image already carried', async () => {
    const input = readFileSync(path.join(CONFORMANCE, '1EdTech-digital-credentials-public-validator/inspector-vc/src/test/resources/ob30/simple-jwt.png'));
    expect(pngCredential(input)).toHaveLength(1);
    const imageId = await app.built.services.badges.storeImage(w.tenantId, new Uint8Array(input));
    const badge = await app.built.services.badges.create(w.tenantId, {
      courseId: w.lmsContextId, moduleId: `png-${randomUUID()}`, moduleTitle: 'PNG module', name: 'Pixel Perfect', criteria: 'Draw it.', rule: { minScore: 0 },
    }, { imageId });
    const { award } = await app.built.services.awards.issue({ tenantId: w.tenantId, badgeId: badge.id, userId: owner.userId, method: 'manual' });
    await app.testDb.db.query('update awards set is_public = true where id = $1', [award.id]);
    const res = await get(`${app.url}/ob/credentials/${award.id}/baked.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="Pixel-Perfect.png"');
    const texts = pngCredential(Buffer.from(await res.arrayBuffer()));
    expect(texts).toEqual([award.credentialJwt!]);
    await expect(jwtVerify(texts[0]!, createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)))).resolves.toBeTruthy();
  });
});
