// Badge definitions: one per module, with criteria, image, skills, pathway, expiry and the rule that
// earns it. Created through the API (PRODUCT.md §7a) or the instructor's form.
import { z } from 'zod';
import type { Db } from '../db/index.js';
import { BadRequestError, ConflictError, NotFoundError, newId } from '../shared/index.js';

const Text = (max: number) => z.string().trim().max(max);
const HttpsUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000);

export const BadgeDefinition = z.object({
  courseId: z.string().trim().min(1).max(255),
  moduleId: z.string().trim().min(1).max(255),
  moduleTitle: Text(200).min(1, 'moduleTitle is required'),
  modulePosition: z.number().int().min(0).max(100_000).optional(),
  name: Text(200).min(1, 'name is required'),
  description: Text(5000).default(''),
  criteria: Text(5000).min(1, 'criteria is required'),
  imageUrl: HttpsUrl.optional(),
  skills: z.array(z.object({ name: Text(200).min(1), url: HttpsUrl.optional() }).strict()).max(50).default([]),
  pathway: Text(200).min(1).optional(),
  rule: z.object({ minScore: z.number().min(0).max(1) }).strict().default({ minScore: 0 }),
  validForDays: z.number().int().min(1).max(36_500).optional(),
  externalId: Text(255).min(1).optional(),
}).strict();
export type BadgeDefinition = z.input<typeof BadgeDefinition>;

export interface Badge {
  id: string;
  tenantId: string;
  courseId: string;
  moduleId: string;
  name: string;
  description: string;
  criteria: string;
  imageUrl: string | null;
  imageId: string | null;
  skills: Array<{ name: string; url?: string }>;
  pathway: string | null;
  minScore: number;
  validForDays: number | null;
  externalId: string | null;
  createdAt: Date;
}

type BadgeRow = { id: string; tenant_id: string; course_id: string; module_id: string; name: string; description: string; criteria: string; image_url: string | null; image_id: string | null; skills: Array<{ name: string; url?: string }>; pathway: string | null; min_score: number; valid_for_days: number | null; external_id: string | null; created_at: Date };
const toBadge = (r: BadgeRow): Badge => ({ id: r.id, tenantId: r.tenant_id, courseId: r.course_id, moduleId: r.module_id, name: r.name, description: r.description, criteria: r.criteria, imageUrl: r.image_url, imageId: r.image_id, skills: r.skills, pathway: r.pathway, minScore: r.min_score, validForDays: r.valid_for_days, externalId: r.external_id, createdAt: r.created_at });

export const IMAGE_MAX_BYTES = 1024 * 1024;

/** The image's real type from its bytes (never from the file name or the declared type). */
export function sniffImage(bytes: Uint8Array): 'image/png' | 'image/svg+xml' | null {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length > 8 && png.every((b, i) => bytes[i] === b)) return 'image/png';
  const head = Buffer.from(bytes.subarray(0, 2048)).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head)) return 'image/svg+xml';
  return null;
}

export function createBadgeCatalog({ db }: { db: Db }) {
  async function resolveCourse(tenantId: string, courseRef: string): Promise<string> {
    const rows = await db.query<{ id: string }>(
      `select id from courses where tenant_id = $1 and (lms_context_id = $2 or id::text = $2)`,
      [tenantId, courseRef],
    );
    if (rows.length === 0) throw new NotFoundError('course_not_found', `No course ${courseRef} in this tenant: launch Badgetrail from the course once first.`);
    if (rows.length > 1) throw new BadRequestError('ambiguous_course', `Several courses match ${courseRef}; use the Badgetrail course id.`);
    return rows[0]!.id;
  }

  return {
    /**
     * `moduleId` in the input is the module's id in the caller's system (API); the instructor's form
     * instead names one of our modules (`existingModuleId`) or asks for a new one (`newModule`).
     */
    async create(tenantId: string, input: unknown, opts: { courseScope?: string | null; imageId?: string | null; existingModuleId?: string | null; newModule?: boolean } = {}): Promise<Badge> {
      const parsed = BadgeDefinition.safeParse(input);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new BadRequestError('invalid_badge', `${i.path.join('.') || 'badge'}: ${i.message}`, parsed.error.issues.map((x) => ({ path: x.path.join('.'), message: x.message })));
      }
      const d = parsed.data;
      const courseId = await resolveCourse(tenantId, d.courseId);
      if (opts.courseScope && opts.courseScope !== courseId) throw new NotFoundError('course_not_found', `No course ${d.courseId} within this key's scope.`);
      return db.transaction(async (tx) => {
        const modules = opts.existingModuleId
          ? await tx.query<{ id: string }>('select id from modules where tenant_id = $1 and course_id = $2 and id = $3', [tenantId, courseId, opts.existingModuleId])
          : opts.newModule
            ? await tx.query<{ id: string }>(
              `insert into modules (tenant_id, id, course_id, title, position)
               values ($1, $2, $3, $4, (select coalesce(max(position), 0) + 1 from modules where tenant_id = $1 and course_id = $3)) returning id`,
              [tenantId, newId(), courseId, d.moduleTitle])
            : await tx.query<{ id: string }>(
          `insert into modules (tenant_id, id, course_id, external_id, title, position) values ($1, $2, $3, $4, $5,
             coalesce($6, (select coalesce(max(position), 0) + 1 from modules where tenant_id = $1 and course_id = $3)))
           on conflict (course_id, external_id) do update set title = excluded.title,
             position = coalesce($6, modules.position)
           returning id`,
          [tenantId, newId(), courseId, d.moduleId, d.moduleTitle, d.modulePosition ?? null],
        );
        if (!modules[0]) throw new NotFoundError('module_not_found', 'That module is not part of this course.');
        const moduleId = modules[0].id;
        const taken = await tx.query('select 1 from badges where tenant_id = $1 and module_id = $2', [tenantId, moduleId]);
        if (taken.length > 0) throw new ConflictError('module_has_badge', `Module ${d.moduleId} already has a badge: one badge per module.`);
        if (d.externalId) {
          const dup = await tx.query('select 1 from badges where tenant_id = $1 and external_id = $2', [tenantId, d.externalId]);
          if (dup.length > 0) throw new ConflictError('duplicate_badge', `A badge with externalId ${d.externalId} exists.`);
        }
        const rows = await tx.query<BadgeRow>(
          `insert into badges (tenant_id, id, course_id, module_id, name, description, criteria, image_url, image_id, skills, pathway, min_score, valid_for_days, external_id)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14) returning *`,
          [tenantId, newId(), courseId, moduleId, d.name, d.description, d.criteria, d.imageUrl ?? null, opts.imageId ?? null, JSON.stringify(d.skills), d.pathway ?? null, d.rule.minScore, d.validForDays ?? null, d.externalId ?? null],
        );
        return toBadge(rows[0]!);
      });
    },

    async storeImage(tenantId: string, bytes: Uint8Array): Promise<string> {
      if (bytes.length === 0) throw new BadRequestError('invalid_image', 'The image file is empty.');
      if (bytes.length > IMAGE_MAX_BYTES) throw new BadRequestError('image_too_large', `The image is ${Math.ceil(bytes.length / 1024)} KB; the limit is ${IMAGE_MAX_BYTES / 1024} KB.`);
      const type = sniffImage(bytes);
      if (!type) throw new BadRequestError('invalid_image_type', 'The image must be a PNG or an SVG file.');
      const id = newId();
      await db.query('insert into badge_images (tenant_id, id, content_type, bytes) values ($1, $2, $3, $4)', [tenantId, id, type, bytes]);
      return id;
    },

    async deleteImage(imageId: string): Promise<void> {
      await db.query('delete from badge_images where id = $1 and not exists (select 1 from badges where image_id = $1)', [imageId]);
    },

    async get(badgeId: string): Promise<Badge | null> {
      const rows = await db.query<BadgeRow>('select * from badges where id = $1', [badgeId]);
      return rows[0] ? toBadge(rows[0]) : null;
    },

    async image(imageId: string): Promise<{ contentType: string; bytes: Uint8Array } | null> {
      const rows = await db.query<{ content_type: string; bytes: Uint8Array }>('select content_type, bytes from badge_images where id = $1', [imageId]);
      return rows[0] ? { contentType: rows[0].content_type, bytes: rows[0].bytes } : null;
    },
  };
}

export type BadgeCatalog = ReturnType<typeof createBadgeCatalog>;
