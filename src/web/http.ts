// Request helpers shared by the routers: async handlers, the session token, and page/JSON answers.
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export const asyncHandler =
  (fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    fn(req, res, next).catch(next);
  };

/** The launch token ("ltik"): in the query, a form field, or an Authorization bearer header. */
export function launchToken(req: Request): string | undefined {
  const q = req.query.ltik;
  if (typeof q === 'string' && q) return q;
  const b = (req.body as Record<string, unknown> | undefined)?.ltik;
  if (typeof b === 'string' && b) return b;
  const auth = req.get('authorization');
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return undefined;
}

export const wantsJson = (req: Request): boolean =>
  /^\/(api|xapi|caliper)\//.test(req.path) || (!!req.get('accept')?.includes('application/json') && !req.get('accept')?.includes('text/html'));
