// Browser libraries served from our own origin under /static/vendor (no CDN: an LMS may sit behind
// a strict network). Only the files named here are served, straight from the installed packages.
import path from 'node:path';
import { Router } from 'express';

/** URL name → path inside node_modules. */
const VENDOR_FILES: Record<string, string> = {
  'chart.umd.min.js': 'chart.js/dist/chart.umd.min.js',
  'svgcanvas.esm.js': 'svgcanvas/dist/svgcanvas.esm.js',
};

export function vendorRouter(root: string, maxAge: string | number): Router {
  const router = Router();
  router.get('/:file', (req, res, next) => {
    const file = VENDOR_FILES[req.params.file];
    if (!file) return next();
    res.sendFile(path.join(root, 'node_modules', file), { maxAge, headers: { 'Content-Type': 'text/javascript; charset=utf-8' } });
  });
  return router;
}
