// The instructor's badge form, reached through a real LTI launch from the platform simulator: a
// multipart POST with an image. PNG and SVG uploads are stored and served sandboxed; anything else
// (by content, whatever its name), an oversized file, or a learner's launch is refused and stores
// nothing.
import { randomUUID } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { buildUser, launchTo, registeredPlatform } from '../support/lti.js';
import { startPlatform, type PlatformSimulator } from '../support/platform-simulator.js';

// ---- a real PNG, built by hand ------------------------------------------------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}
/** A 4x4 RGBA PNG: signature, IHDR, IDAT, IEND. */
function smallPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(4, 0);
  ihdr.writeUInt32BE(4, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.concat(Array.from({ length: 4 }, (_, y) => Buffer.from([0, ...Array.from({ length: 16 }, (_, i) => (i * 16 + y * 40) & 0xff)])));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]);
const SVG = '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="30" fill="#2a6"/><script>alert(1)</script></svg>';

let app: TestApp;
let sim: PlatformSimulator;
let ltik: string;
let learnerLtik: string;
let tenantId: string;
let courseId: string;
const CONTEXT = { id: `ctx-form-${randomUUID().slice(0, 6)}`, title: 'Marine Biology', label: 'BIO220' };

beforeAll(async () => {
  app = await startTestApp();
  sim = await startPlatform({ product: 'moodle' });
  await registeredPlatform(app, sim);
  const instructor = await launchTo(app, sim, buildUser('instructor'), { context: CONTEXT });
  expect(instructor.location).toMatch(/^\/app\/course\?ltik=/);
  ltik = instructor.ltik;
  learnerLtik = (await launchTo(app, sim, buildUser('learner'), { context: CONTEXT })).ltik;
  const rows = await app.testDb.db.query<{ id: string; tenant_id: string }>('select id, tenant_id from courses where lms_context_id = $1', [CONTEXT.id]);
  expect(rows).toHaveLength(1);
  courseId = rows[0]!.id;
  tenantId = rows[0]!.tenant_id;
});
afterAll(async () => {
  await app?.close();
  await sim?.close();
});

interface Upload { bytes: Buffer | string; type: string; filename: string }

function submit(fields: Record<string, string>, image?: Upload, token: string = ltik) {
  const form = new FormData();
  form.append('ltik', token);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (image) form.append('image', new Blob([typeof image.bytes === 'string' ? image.bytes : new Uint8Array(image.bytes)], { type: image.type }), image.filename);
  return fetch(`${app.url}/app/badges`, { method: 'POST', body: form, redirect: 'manual' });
}

let n = 0;
const fields = (over: Record<string, string> = {}) => {
  n += 1;
  return { newModuleTitle: `Week ${n}: Coral reefs`, name: `Reef Surveyor ${n}`, criteria: 'Complete the reef survey with at least 80 %.', minScore: '80', ...over };
};

async function counts() {
  const rows = await app.testDb.db.query<{ badges: number; images: number; modules: number }>(
    'select (select count(*) from badges)::int as badges, (select count(*) from badge_images)::int as images, (select count(*) from modules)::int as modules');
  return rows[0]!;
}

async function badgeNamed(name: string) {
  const rows = await app.testDb.db.query<{ id: string; image_id: string | null; min_score: number; module_id: string; course_id: string; tenant_id: string }>(
    'select id, image_id, min_score, module_id, course_id, tenant_id from badges where name = $1', [name]);
  return rows;
}

/** Creates a badge through the form with an image and returns how the image is served. */
async function createWithImage(image: Upload) {
  const f = fields();
  const res = await submit(f, image);
  expect(res.status, await res.clone().text()).toBe(303);
  expect(res.headers.get('location')).toBe(`/app/course?ltik=${encodeURIComponent(ltik)}`);
  const [badge] = await badgeNamed(f.name);
  expect(badge, 'badge row').toBeDefined();
  expect(badge!.image_id).not.toBeNull();
  const achievement = await (await fetch(`${app.url}/ob/achievements/${badge!.id}`)).json();
  expect(achievement.image.id).toBe(`${app.url}/ob/images/${badge!.image_id}`);
  const served = await fetch(achievement.image.id);
  return { f, badge: badge!, served, location: res.headers.get('location')! };
}

describe('badge form', () => {
  it('shows the form to an instructor of the launch\'s course', async () => {
    const res = await fetch(`${app.url}/app/badges/new?ltik=${ltik}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<form class="card form" method="post" action="/app/badges" enctype="multipart/form-data">');
    expect(html).toContain(`<input type="hidden" name="ltik" value="${ltik}">`);
    for (const name of ['newModuleTitle', 'name', 'criteria', 'minScore', 'validForDays', 'skills']) expect(html).toContain(`name="${name}"`);
    expect(html).toMatch(/<input id="image" name="image" type="file" accept="image\/png,image\/svg\+xml">/);
  });

  it('creates a badge with a PNG image, shows it on the course page and serves the image sandboxed', async () => {
    const png = smallPng();
    const before = await counts();
    const { f, badge, served, location } = await createWithImage({ bytes: png, type: 'image/png', filename: 'reef.png' });
    expect(await counts()).toEqual({ badges: before.badges + 1, images: before.images + 1, modules: before.modules + 1 });
    expect(badge).toMatchObject({ min_score: 0.8, course_id: courseId, tenant_id: tenantId });
    const mod = await app.testDb.db.query<{ title: string }>('select title from modules where id = $1', [badge.module_id]);
    expect(mod[0]!.title).toBe(f.newModuleTitle);

    const course = await fetch(new URL(location, app.url));
    expect(course.status).toBe(200);
    const html = await course.text();
    expect(html).toContain(`<td>${f.name}</td><td>${f.newModuleTitle}</td><td>score ≥ 80 %</td>`);

    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    const csp = served.headers.get('content-security-policy') ?? '';
    expect(csp).toContain('sandbox');
    expect(csp).toContain("default-src 'none'");
    expect(Buffer.from(await served.arrayBuffer())).toEqual(png);
  });

  it('accepts an SVG image (scripts inside never run: sandboxed, served as an image)', async () => {
    const { served } = await createWithImage({ bytes: SVG, type: 'image/svg+xml', filename: 'reef.svg' });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toContain('image/svg+xml');
    const csp = served.headers.get('content-security-policy') ?? '';
    expect(csp).toContain('sandbox');
    expect(csp).not.toMatch(/script-src/);
    expect(await served.text()).toBe(SVG);
  });

  it('judges the image by its bytes, not its name or declared type', async () => {
    // A real PNG sent as "application/octet-stream" named .bin is still a PNG.
    const { served } = await createWithImage({ bytes: smallPng(), type: 'application/octet-stream', filename: 'upload.bin' });
    expect(served.headers.get('content-type')).toBe('image/png');
  });

  it('creates a badge for an existing module chosen in the form', async () => {
    const mod = await app.built.services.courses.createModule(tenantId, courseId, 'Tide pools');
    const form = await (await fetch(`${app.url}/app/badges/new?ltik=${ltik}`)).text();
    expect(form).toContain(`<option value="${mod.id}" >`);
    const before = await counts();
    const f = fields({ moduleId: mod.id, newModuleTitle: '' });
    const res = await submit(f);
    expect(res.status, await res.clone().text()).toBe(303);
    const [badge] = await badgeNamed(f.name);
    expect(badge!.module_id).toBe(mod.id);
    expect(badge!.image_id).toBeNull();
    expect(await counts()).toEqual({ ...before, badges: before.badges + 1 });
    // The module now has its badge and leaves the form's list.
    expect(await (await fetch(`${app.url}/app/badges/new?ltik=${ltik}`)).text()).not.toContain(`value="${mod.id}"`);
  });
});

describe('badge form refusals store nothing', () => {
  async function refusedForm(f: Record<string, string>, image: Upload | undefined, status: number, message: string | RegExp, token = ltik) {
    const before = await counts();
    const res = await submit(f, image, token);
    const html = await res.text();
    expect(res.status, html).toBe(status);
    expect(html).toMatch(message);
    expect(await counts()).toEqual(before);
    expect(await badgeNamed(f.name!)).toHaveLength(0);
    return html;
  }

  it('refuses a JPEG and a text file renamed .png, showing the form again with the reason and what was typed', async () => {
    for (const image of [
      { bytes: JPEG, type: 'image/png', filename: 'photo.png' },
      { bytes: JPEG, type: 'image/jpeg', filename: 'photo.jpg' },
      { bytes: 'just some notes, not an image\n', type: 'image/png', filename: 'notes.png' },
    ]) {
      const f = fields();
      const html = await refusedForm(f, image, 400, 'must be a PNG or an SVG');
      expect(html, image.filename).toContain('role="alert"');
      expect(html).toContain('action="/app/badges"');
      expect(html).toContain(`value="${f.name}"`);
      expect(html).toContain(`<input type="hidden" name="ltik" value="${ltik}">`);
    }
  });

  it('refuses an image over 1 MB with "larger than" and stores nothing', async () => {
    const big = Buffer.concat([smallPng(), Buffer.alloc(1024 * 1024)]);
    await refusedForm(fields(), { bytes: big, type: 'image/png', filename: 'huge.png' }, 400, 'larger than');
  });

  it('removes the uploaded image again when the badge itself is invalid', async () => {
    const html = await refusedForm(fields({ criteria: '' }), { bytes: smallPng(), type: 'image/png', filename: 'ok.png' }, 400, /criteria/);
    expect(html).toContain('role="alert"');
    await refusedForm(fields({ minScore: '150' }), { bytes: smallPng(), type: 'image/png', filename: 'ok.png' }, 400, /minScore/);
  });

  it('refuses a learner\'s launch with 403, for the form and the POST', async () => {
    expect((await fetch(`${app.url}/app/badges/new?ltik=${learnerLtik}`)).status).toBe(403);
    await refusedForm(fields(), { bytes: smallPng(), type: 'image/png', filename: 'ok.png' }, 403, /role/, learnerLtik);
    await refusedForm(fields(), undefined, 401, /Open the tool again|launch/i, 'forged-token');
  });
});
