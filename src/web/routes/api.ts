// The JSON API (PRODUCT.md §7a), authenticated by a bearer API key scoped to a tenant or a course.
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import type { AwardService } from '../../awards/index.js';
import type { BadgeCatalog } from '../../courses/index.js';
import { AppError, BadRequestError, UnauthorizedError } from '../../shared/index.js';
import { CompletionBatch, MAX_BATCH, type CompletionService } from '../../completions/index.js';
import { ImportBody, type Importer } from '../../imports/index.js';
import type { ApiKeyRecord, TenantService } from '../../tenancy/index.js';
import { asyncHandler } from '../http.js';

const RevokeBody = z.object({ reason: z.string().trim().min(1, 'a reason is required').max(500) }).strict();

export function apiRouter(deps: { tenants: TenantService; badges: BadgeCatalog; awards: AwardService; completions: CompletionService; importer: Importer }): Router {
  const router = Router();
  // An import carries a platform's history: it may be large; everything else is small.
  router.use((req, res, next) => express.json({ limit: req.path === '/v1/import' ? '50mb' : '2mb', type: ['application/json', 'application/*+json'] })(req, res, next));

  async function apiKey(req: Request): Promise<ApiKeyRecord> {
    const auth = req.get('authorization') ?? '';
    const key = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    const record = key ? await deps.tenants.verifyApiKey(key) : null;
    if (!record) throw new UnauthorizedError('invalid_api_key', 'Send a valid API key as "Authorization: Bearer <key>".');
    return record;
  }

  const body = (req: Request): unknown => {
    if (!req.is('application/json') && !req.is('application/*+json')) throw new BadRequestError('unsupported_media_type', 'Send JSON (Content-Type: application/json).');
    return req.body;
  };

  router.post('/v1/badges', asyncHandler(async (req, res) => {
    const key = await apiKey(req);
    const badge = await deps.badges.create(key.tenantId, body(req), { courseScope: key.courseId });
    res.status(201).json({ badge });
  }));

  router.post('/v1/completions', asyncHandler(async (req, res) => {
    const key = await apiKey(req);
    const parsed = CompletionBatch.safeParse(body(req));
    if (!parsed.success) throw new BadRequestError('invalid_batch', `${parsed.error.issues[0]!.path.join('.') || 'body'}: ${parsed.error.issues[0]!.message}`);
    if (parsed.data.completions.length > MAX_BATCH) {
      throw new AppError(413, 'batch_too_large', `At most ${MAX_BATCH} completions per request; this one has ${parsed.data.completions.length}.`);
    }
    const results = await deps.completions.ingest(key.tenantId, parsed.data.completions, { source: 'api', courseScope: key.courseId });
    res.json({ results });
  }));

  router.post('/v1/import', asyncHandler(async (req, res) => {
    const key = await apiKey(req);
    if (key.courseId) throw new AppError(403, 'scope_forbidden', 'An import needs a tenant API key, not a course key.');
    const parsed = ImportBody.safeParse(body(req));
    if (!parsed.success) throw new BadRequestError('invalid_import', `${parsed.error.issues[0]!.path.join('.') || 'body'}: ${parsed.error.issues[0]!.message}`);
    res.json(await deps.importer.run(key.tenantId, parsed.data));
  }));

  router.post('/v1/awards/:id/revoke', asyncHandler(async (req, res) => {
    const key = await apiKey(req);
    const parsed = RevokeBody.safeParse(body(req));
    if (!parsed.success) throw new BadRequestError('invalid_revocation', parsed.error.issues[0]!.message);
    const found = await deps.awards.find(String(req.params.id));
    // Another tenant's (or, for a course key, another course's) award does not exist for this key.
    if (!found || found.tenantId !== key.tenantId || (key.courseId && found.courseId !== key.courseId)) {
      res.status(404).json({ error: { code: 'award_not_found', message: 'No such award.' } });
      return;
    }
    const award = await deps.awards.revoke(key.tenantId, found.id, parsed.data.reason);
    res.json({ award: { id: award.id, revokedAt: award.revokedAt } });
  }));

  return router;
}
