// GET /api/v1/analytics: the metrics of a scope, for an API key (its tenant, or its course) or a
// launch session (an instructor's course, an admin's tenant). Never another tenant's data.
import { Router } from 'express';
import type { Analytics } from '../../analytics/index.js';
import type { Lti } from '../../lti/index.js';
import type { Clock } from '../../shared/index.js';
import type { TenantService } from '../../tenancy/index.js';
import { analyticsScope } from '../analytics-scope.js';
import { asyncHandler } from '../http.js';

export function analyticsRouter(deps: { analytics: Analytics; tenants: TenantService; lti: Lti; clock: Clock }): Router {
  const router = Router();
  const scopeOf = analyticsScope(deps);

  router.get('/v1/analytics', asyncHandler(async (req, res) => {
    res.json(await deps.analytics.compute(await scopeOf(req)));
  }));

  return router;
}
