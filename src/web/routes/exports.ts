// GET /api/v1/exports/:dataset.(csv|xlsx): awards, badges, modules or events of a scope as a file,
// with the query, validation and authorisation of GET /api/v1/analytics (one shared resolver).
import { Router } from 'express';
import type { Analytics } from '../../analytics/index.js';
import { CONTENT_TYPES, DATASETS, FORMATS, type Dataset, type Exports, type Format } from '../../exports/index.js';
import type { Lti } from '../../lti/index.js';
import { NotFoundError, type Clock } from '../../shared/index.js';
import type { TenantService } from '../../tenancy/index.js';
import { analyticsScope } from '../analytics-scope.js';
import { asyncHandler } from '../http.js';

function parseFile(file: string): { dataset: Dataset; format: Format } {
  const m = /^([a-z]+)\.([a-z]+)$/.exec(file);
  const dataset = DATASETS.find((d) => d === m?.[1]);
  const format = FORMATS.find((f) => f === m?.[2]);
  if (!dataset || !format) throw new NotFoundError('export_not_found', `No export ${file}: try ${DATASETS.join(', ')} as .csv or .xlsx.`);
  return { dataset, format };
}

export function exportsRouter(deps: { exports: Exports; analytics: Analytics; tenants: TenantService; lti: Lti; clock: Clock }): Router {
  const router = Router();
  const scopeOf = analyticsScope(deps);

  router.get('/v1/exports/:file', asyncHandler(async (req, res) => {
    const { dataset, format } = parseFile(String(req.params.file));
    const table = await deps.exports.table(dataset, await scopeOf(req));
    res.status(200).set({
      'Content-Type': CONTENT_TYPES[format],
      'Content-Disposition': `attachment; filename="${deps.exports.fileName(dataset, format)}"`,
      'Cache-Control': 'no-store',
    });
    try {
      await deps.exports.write(res, format, table);
    } catch (err) {
      // Half a file must not look like a whole one: once bytes went out, cut the connection.
      if (res.headersSent) res.destroy();
      throw err;
    }
  }));

  return router;
}
