// One error middleware: typed errors become {"error":{code,message}} for API clients and a plain
// error page (never a stack trace) for people.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, type Logger } from '../shared/index.js';
import { wantsJson } from './http.js';
import type { Views } from './views.js';

export function notFound(): RequestHandler {
  return (req, _res, next) => next(new AppError(404, 'not_found', `Nothing at ${req.method} ${req.path}.`));
}

export function errorHandler(views: Views, logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let e: AppError;
    if (err instanceof AppError) e = err;
    else if (err?.type === 'entity.parse.failed') e = new AppError(400, 'malformed_json', 'The request body is not valid JSON.');
    else if (err?.type === 'entity.too.large') e = new AppError(413, 'payload_too_large', 'The request body is too large.');
    else {
      logger.error('unhandled error', { path: req.path, error: String(err?.stack ?? err) });
      e = new AppError(500, 'internal_error', 'Something went wrong on our side. Please try again.');
    }
    if (res.headersSent) return;
    res.status(e.status);
    if (wantsJson(req)) {
      res.json({ error: { code: e.code, message: e.message } });
      return;
    }
    res.type('html').send(views.render('error', { title: 'Something is not right', status: e.status, code: e.code, message: e.message }));
  };
}
