// The launch session behind a page or form: the launch token of the request, and, once its tenant
// is known, frame-ancestors narrowed to that tenant's own platforms.
import type { Request, Response } from 'express';
import type { LaunchSession, Lti } from '../lti/index.js';
import { launchToken } from './http.js';
import { setFrameAncestors } from './security.js';

export async function framedSession(lti: Lti, req: Request, res: Response): Promise<LaunchSession> {
  const s = await lti.sessions.require(launchToken(req));
  setFrameAncestors(res, await lti.platforms.frameOrigins(s.tenantId));
  return s;
}
