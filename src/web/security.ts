// Response headers: the LMS may frame us, nobody else. frame-ancestors lists the registered
// platforms' origins (the session's tenant's only, once we know it).
import type { RequestHandler, Response } from 'express';

export function setFrameAncestors(res: Response, origins: readonly string[]): void {
  const ancestors = origins.length > 0 ? `'self' ${origins.join(' ')}` : `'self'`;
  res.setHeader(
    'Content-Security-Policy',
    [`default-src 'self'`, `img-src 'self' data: https:`, `style-src 'self'`, `script-src 'self'`, `form-action 'self' https: http:`, `base-uri 'none'`, `object-src 'none'`, `frame-ancestors ${ancestors}`].join('; '),
  );
}

export function baseHeaders(frameOrigins: () => Promise<string[]>): RequestHandler {
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The launch token rides in URLs: never leak it to other sites through Referer.
    res.setHeader('Referrer-Policy', 'same-origin');
    frameOrigins()
      .then((origins) => {
        setFrameAncestors(res, origins);
        next();
      })
      .catch(next);
  };
}
