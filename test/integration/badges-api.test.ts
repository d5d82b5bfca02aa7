// POST /api/v1/badges (PRODUCT.md §7a): a bearer API key defines a badge for a module; the
// Achievement is then public at /ob/achievements/:id. Bad input, unknown courses, keys of another
// course or tenant and a second badge for a module are refused with the one JSON error shape and
// change nothing.
import { randomUUID } from 'node:crypto';
import { Ajv2019 } from 'ajv/dist/2019.js';
import formatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildWorld, type World } from '../support/builders.js';
import { readConformanceJson } from '../support/ob3.js';

// The official schema's own Achievement definition, to check the public Achievement document.
const addFormats = ((formatsModule as unknown as { default?: typeof formatsModule }).default ?? formatsModule) as unknown as (a: Ajv2019) => void;
const ajv = new Ajv2019({ strict: false, allErrors: true });
addFormats(ajv);
const credentialSchema = readConformanceJson('achievementcredential.schema.json');
ajv.addSchema(credentialSchema);
const validateAchievement = ajv.getSchema(`${credentialSchema.$id}#/$defs/Achievement`)!;

let app: TestApp;
let w: World; // tenant A
let w2: World; // tenant B
let courseB: { id: string; lmsContextId: string }; // a second course of tenant A
let tenantKey: string;
let courseKey: string; // scoped to w.courseId
let otherTenantKey: string;

async function addCourse(world: World, lmsContextId = `ctx-${randomUUID().slice(0, 8)}`) {
  const id = randomUUID();
  await app.testDb.db.query('insert into courses (tenant_id, id, platform_id, lms_context_id, title) values ($1, $2, $3, $4, $5)', [world.tenantId, id, world.platformId, lmsContextId, 'Statistics 201']);
  return { id, lmsContextId };
}

beforeAll(async () => {
  app = await startTestApp();
  w = await buildWorld(app, 'North College');
  w2 = await buildWorld(app, 'South College');
  courseB = await addCourse(w);
  const { tenants } = app.built.services;
  tenantKey = (await tenants.createApiKey(w.tenantId)).key;
  courseKey = (await tenants.createApiKey(w.tenantId, w.courseId)).key;
  otherTenantKey = (await tenants.createApiKey(w2.tenantId)).key;
});
afterAll(async () => {
  await app?.close();
});

let n = 0;
function definition(over: Record<string, unknown> = {}) {
  n += 1;
  return {
    courseId: w.lmsContextId,
    moduleId: `lms-module-${n}-${randomUUID().slice(0, 6)}`,
    moduleTitle: `Module ${n}: Regression`,
    modulePosition: 3,
    name: 'Regression Analyst',
    description: 'Fits and reads linear models.',
    criteria: 'Score at least 70 % on the module quiz.',
    imageUrl: 'https://images.example/regression.png',
    skills: [{ name: 'Linear regression', url: 'https://skills.example/linreg' }, { name: 'Model diagnostics' }],
    pathway: 'Data analyst',
    rule: { minScore: 0.7 },
    validForDays: 365,
    ...over,
  };
}

async function post(body: unknown, key: string | null = tenantKey, init: { raw?: string; contentType?: string; auth?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
  if (init.auth !== undefined) headers.authorization = init.auth;
  else if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${app.url}/api/v1/badges`, { method: 'POST', headers, body: init.raw ?? JSON.stringify(body) });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* asserted by the caller */
  }
  return { status: res.status, json, text, contentType: res.headers.get('content-type') };
}

async function counts() {
  const rows = await app.testDb.db.query<{ badges: number; modules: number; titles: string }>(
    `select (select count(*) from badges)::int as badges, (select count(*) from modules)::int as modules,
            (select coalesce(string_agg(title || '@' || position, ',' order by id), '') from modules) as titles`,
  );
  return rows[0]!;
}

/** Runs a request that must be refused, and checks that no badge or module changed. */
async function refused(run: () => ReturnType<typeof post>, status: number, code: string) {
  const before = await counts();
  const res = await run();
  expect(res.status, res.text).toBe(status);
  expect(res.contentType).toContain('application/json');
  expect(Object.keys(res.json)).toEqual(['error']);
  expect(res.json.error.code).toBe(code);
  expect(typeof res.json.error.message).toBe('string');
  expect(res.json.error.message.length).toBeGreaterThan(5);
  expect(await counts()).toEqual(before);
  return res.json.error as { code: string; message: string };
}

describe('POST /api/v1/badges', () => {
  it('defines a badge for a module from the body and answers 201 {badge}', async () => {
    const body = definition();
    const before = await counts();
    const res = await post(body);
    expect(res.status, res.text).toBe(201);
    expect(Object.keys(res.json)).toEqual(['badge']);
    const badge = res.json.badge;
    expect(badge).toMatchObject({
      tenantId: w.tenantId,
      courseId: w.courseId, // the LMS context id resolved to our course
      name: 'Regression Analyst',
      description: 'Fits and reads linear models.',
      criteria: 'Score at least 70 % on the module quiz.',
      imageUrl: 'https://images.example/regression.png',
      imageId: null,
      skills: [{ name: 'Linear regression', url: 'https://skills.example/linreg' }, { name: 'Model diagnostics' }],
      pathway: 'Data analyst',
      minScore: 0.7,
      validForDays: 365,
    });
    expect(badge.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const after = await counts();
    expect(after.badges).toBe(before.badges + 1);
    expect(after.modules).toBe(before.modules + 1);

    // The module is created with the caller's id, title and position.
    const modules = await app.testDb.db.query<{ id: string; external_id: string; title: string; position: number; course_id: string; tenant_id: string }>(
      'select id, external_id, title, position, course_id, tenant_id from modules where external_id = $1', [body.moduleId]);
    expect(modules).toHaveLength(1);
    expect(modules[0]).toMatchObject({ id: badge.moduleId, title: body.moduleTitle, position: 3, course_id: w.courseId, tenant_id: w.tenantId });
    const stored = await app.testDb.db.query<{ min_score: number; module_id: string }>('select min_score, module_id from badges where id = $1', [badge.id]);
    expect(stored[0]).toEqual({ min_score: 0.7, module_id: badge.moduleId });
  });

  it('publishes the badge as an Achievement with criteria, image and an alignment per skill', async () => {
    const res = await post(definition({ name: 'Survey Designer', criteria: 'Design a survey and pilot it.', description: 'Plans unbiased surveys.' }));
    expect(res.status, res.text).toBe(201);
    const id = res.json.badge.id as string;
    const ach = await fetch(`${app.url}/ob/achievements/${id}`, { headers: { accept: 'application/json' } });
    expect(ach.status).toBe(200);
    expect(ach.headers.get('content-type')).toContain('application/json');
    const doc = await ach.json();
    expect(doc['@context']).toEqual(['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json']);
    expect(doc.id).toBe(`${app.url}/ob/achievements/${id}`);
    expect(doc.type).toEqual(['Achievement']);
    expect(doc.name).toBe('Survey Designer');
    expect(doc.description).toBe('Plans unbiased surveys.');
    expect(doc.criteria).toEqual({ narrative: 'Design a survey and pilot it.' });
    expect(doc.image).toMatchObject({ id: 'https://images.example/regression.png', type: 'Image' });
    expect(doc.alignment).toHaveLength(2);
    expect(doc.alignment[0]).toMatchObject({ type: ['Alignment'], targetName: 'Linear regression', targetUrl: 'https://skills.example/linreg' });
    expect(doc.alignment[1]).toMatchObject({ type: ['Alignment'], targetName: 'Model diagnostics' });
    expect(typeof doc.alignment[1].targetUrl).toBe('string');
    expect(doc.alignment[1].targetUrl).not.toBe(doc.alignment[0].targetUrl);
    expect(validateAchievement(doc), JSON.stringify(validateAchievement.errors)).toBe(true);

    const ld = await fetch(`${app.url}/ob/achievements/${id}`, { headers: { accept: 'application/ld+json' } });
    expect(ld.headers.get('content-type')).toContain('application/ld+json');
    expect((await ld.json()).name).toBe('Survey Designer');
  });

  it('takes a minimal body: defaults for description, skills and rule; a generated image', async () => {
    const res = await post({ courseId: w.lmsContextId, moduleId: `min-${randomUUID()}`, moduleTitle: 'Minimal', name: 'Minimalist', criteria: 'Finish it.' });
    expect(res.status, res.text).toBe(201);
    expect(res.json.badge).toMatchObject({ description: '', skills: [], minScore: 0, imageUrl: null, pathway: null, validForDays: null });
    const doc = await (await fetch(`${app.url}/ob/achievements/${res.json.badge.id}`)).json();
    expect(doc.alignment).toBeUndefined();
    expect(doc.image.id).toBe(`${app.url}/ob/achievements/${res.json.badge.id}/image`);
    const img = await fetch(doc.image.id);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toContain('image/svg+xml');
    expect(await img.text()).toContain('aria-label="Minimalist"');
    expect(validateAchievement(doc), JSON.stringify(validateAchievement.errors)).toBe(true);
  });

  it('accepts a course key for its own course', async () => {
    const res = await post(definition({ name: 'Course-key badge' }), courseKey);
    expect(res.status, res.text).toBe(201);
    expect(res.json.badge.courseId).toBe(w.courseId);
  });
});

describe('POST /api/v1/badges refusals change nothing', () => {
  it('refuses a missing, unknown or malformed API key with 401 invalid_api_key', async () => {
    await refused(() => post(definition(), null), 401, 'invalid_api_key');
    await refused(() => post(definition(), 'bt_not-a-real-key'), 401, 'invalid_api_key');
    await refused(() => post(definition(), null, { auth: `Basic ${tenantKey}` }), 401, 'invalid_api_key');
    await refused(() => post(definition(), null, { auth: 'Bearer ' }), 401, 'invalid_api_key');
  });

  it('refuses malformed JSON with 400 malformed_json', async () => {
    await refused(() => post(null, tenantKey, { raw: '{"courseId": "x", "name": ' }), 400, 'malformed_json');
  });

  it('refuses a body that is not JSON', async () => {
    const res = await refused(() => post(null, tenantKey, { raw: 'name=x', contentType: 'application/x-www-form-urlencoded' }), 400, 'unsupported_media_type');
    expect(res.message).toContain('JSON');
  });

  it('refuses wrong types with 400 invalid_badge naming the field', async () => {
    const minScore = await refused(() => post(definition({ rule: { minScore: 2 } })), 400, 'invalid_badge');
    expect(minScore.message).toContain('rule.minScore');
    const name = await refused(() => post(definition({ name: 42 })), 400, 'invalid_badge');
    expect(name.message).toMatch(/^name\b/);
    const unknown = await refused(() => post(definition({ colour: 'teal' })), 400, 'invalid_badge');
    expect(unknown.message).toContain('colour');
    const skills = await refused(() => post(definition({ skills: [{ name: 'x', url: 'javascript:alert(1)' }] })), 400, 'invalid_badge');
    expect(skills.message).toContain('skills.0.url');
    const days = await refused(() => post(definition({ validForDays: 1.5 })), 400, 'invalid_badge');
    expect(days.message).toContain('validForDays');
    const missing = await refused(() => post({ ...definition(), criteria: undefined }), 400, 'invalid_badge');
    expect(missing.message).toContain('criteria');
    const array = await refused(() => post([definition()]), 400, 'invalid_badge');
    expect(array.message.length).toBeGreaterThan(5);
  });

  it('refuses an unknown course with 404 course_not_found', async () => {
    const err = await refused(() => post(definition({ courseId: 'no-such-context' })), 404, 'course_not_found');
    expect(err.message).toContain('no-such-context');
    await refused(() => post(definition({ courseId: randomUUID() })), 404, 'course_not_found');
  });

  it('refuses a course key used for another course of the same tenant with 404', async () => {
    // The same body with the tenant key works: only the key's scope refuses it.
    await refused(() => post(definition({ courseId: courseB.lmsContextId }), courseKey), 404, 'course_not_found');
    await refused(() => post(definition({ courseId: courseB.id }), courseKey), 404, 'course_not_found');
    const ok = await post(definition({ courseId: courseB.lmsContextId, name: 'Tenant key, course B' }), tenantKey);
    expect(ok.status, ok.text).toBe(201);
    expect(ok.json.badge.courseId).toBe(courseB.id);
  });

  it('refuses a second badge for the same module with 409 module_has_badge, leaving the module as it was', async () => {
    const first = definition({ modulePosition: 5 });
    expect((await post(first)).status).toBe(201);
    const err = await refused(() => post({ ...first, name: 'Second badge', moduleTitle: 'Renamed module', modulePosition: 9 }), 409, 'module_has_badge');
    expect(err.message).toContain(first.moduleId);
    const rows = await app.testDb.db.query<{ title: string; position: number }>('select title, position from modules where external_id = $1', [first.moduleId]);
    expect(rows).toEqual([{ title: first.moduleTitle, position: 5 }]);
  });

  it('keeps tenants apart: another tenant\'s key cannot see or define badges in this tenant\'s courses', async () => {
    // Tenant A's course by LMS context id and by our id, and a module of A that has a badge:
    // all are "no such course" for tenant B, never a 409 that would reveal the module.
    const taken = definition();
    expect((await post(taken)).status).toBe(201);
    await refused(() => post(definition({ courseId: w.lmsContextId }), otherTenantKey), 404, 'course_not_found');
    await refused(() => post(definition({ courseId: w.courseId }), otherTenantKey), 404, 'course_not_found');
    await refused(() => post({ ...taken, name: 'Hijack' }, otherTenantKey), 404, 'course_not_found');

    // When tenant B has a course with the same LMS context id, B's key defines the badge there.
    const twin = await addCourse(w2, w.lmsContextId);
    const before = await app.testDb.db.query<{ n: number }>('select count(*)::int as n from badges where tenant_id = $1', [w.tenantId]);
    const res = await post(definition({ name: 'Tenant B badge' }), otherTenantKey);
    expect(res.status, res.text).toBe(201);
    expect(res.json.badge).toMatchObject({ tenantId: w2.tenantId, courseId: twin.id });
    const mod = await app.testDb.db.query<{ tenant_id: string; course_id: string }>('select tenant_id, course_id from modules where id = $1', [res.json.badge.moduleId]);
    expect(mod[0]).toEqual({ tenant_id: w2.tenantId, course_id: twin.id });
    const after = await app.testDb.db.query<{ n: number }>('select count(*)::int as n from badges where tenant_id = $1', [w.tenantId]);
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});
