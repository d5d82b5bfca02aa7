// Event push (PRODUCT.md §2.3): xAPI statements (what Moodle's xAPI log store and LRS forwarders
// send) and Caliper GradeEvents, authenticated per tenant with an API key (Bearer, or Basic with
// the key as the password, as LRS clients do).
import { randomUUID } from 'node:crypto';
import express, { Router, type Request } from 'express';
import { mapCaliperEvent, mapXapiStatement, MAX_BATCH, type CompletionService } from '../../completions/index.js';
import { AppError, BadRequestError, UnauthorizedError, type Clock } from '../../shared/index.js';
import type { ApiKeyRecord, TenantService } from '../../tenancy/index.js';
import { asyncHandler } from '../http.js';

export function eventsInRouter(deps: { tenants: TenantService; completions: CompletionService; clock: Clock }): Router {
  const router = Router();
  const json = express.json({ limit: '2mb', type: ['application/json', 'application/*+json'] });

  async function tenantKey(req: Request): Promise<ApiKeyRecord> {
    const auth = req.get('authorization') ?? '';
    let key = '';
    if (auth.startsWith('Bearer ')) key = auth.slice(7).trim();
    else if (auth.startsWith('Basic ')) {
      const [user, pass] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      key = pass || user || '';
    }
    const record = key ? await deps.tenants.verifyApiKey(key) : null;
    if (!record) throw new UnauthorizedError('invalid_credentials', 'Send the tenant\'s API key (Bearer, or as the Basic password).');
    return record;
  }

  const batch = (v: unknown): unknown[] => {
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0) throw new BadRequestError('empty_batch', 'Nothing to record.');
    if (list.length > MAX_BATCH) throw new AppError(413, 'batch_too_large', `At most ${MAX_BATCH} per request.`);
    return list;
  };

  router.post('/xapi/statements', json, asyncHandler(async (req, res) => {
    const key = await tenantKey(req);
    if (!/^1\.0(\.\d+)?$/.test(req.get('x-experience-api-version') ?? '')) throw new BadRequestError('xapi_version', 'X-Experience-API-Version 1.0.x is required.');
    const statements = batch(req.body);
    const now = deps.clock.now();
    await deps.completions.ingestActivities(key.tenantId, statements.map((s) => mapXapiStatement(s, now)), 'xapi');
    res.set('X-Experience-API-Version', '1.0.3');
    // The LRS answer: the statement ids, in order (ours when the statement had none).
    res.json(statements.map((s) => {
      const id = (s as { id?: unknown })?.id;
      return typeof id === 'string' ? id : randomUUID();
    }));
  }));

  router.post('/caliper/events', json, asyncHandler(async (req, res) => {
    const key = await tenantKey(req);
    const envelope = req.body as { data?: unknown };
    if (!envelope || typeof envelope !== 'object' || !('data' in envelope)) throw new BadRequestError('caliper_envelope', 'Send a Caliper envelope: {sensor, sendTime, dataVersion, data: [...]}.');
    const events = batch(envelope.data);
    const now = deps.clock.now();
    const results = await deps.completions.ingestActivities(key.tenantId, events.map((e) => mapCaliperEvent(e, now)), 'caliper');
    res.json({ results });
  }));

  return router;
}
