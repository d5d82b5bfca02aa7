// Server-rendered pages: Handlebars templates from views/, compiled once at start. Only web/ knows
// Handlebars.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { num, pct } from './panel-format.js';

export interface Views {
  render(page: string, data: Record<string, unknown>): string;
}

export function createViews(dir: string): Views {
  const hbs = Handlebars.create();
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('or', (a: unknown, b: unknown) => a || b);
  hbs.registerHelper('json', (v: unknown) => new Handlebars.SafeString(JSON.stringify(v).replace(/</g, '\\u003c')));
  hbs.registerHelper('percent', (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${Math.round(v * 100)} %` : '—'));
  hbs.registerHelper('pct', (v: unknown) => pct(typeof v === 'number' ? v : null));
  hbs.registerHelper('num', (v: unknown, digits: unknown) => num(typeof v === 'number' ? v : null, typeof digits === 'number' ? digits : 0));
  hbs.registerHelper('day', (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : typeof v === 'string' ? v.slice(0, 10) : ''));
  // Small literals for templates that loop over a fixed list of sections.
  hbs.registerHelper('array', (...args: unknown[]) => args.slice(0, -1));
  hbs.registerHelper('obj', (options: { hash: Record<string, unknown> }) => options.hash);
  const read = (sub: string) =>
    readdirSync(path.join(dir, sub))
      .filter((f) => f.endsWith('.hbs'))
      .map((f) => [path.basename(f, '.hbs'), readFileSync(path.join(dir, sub, f), 'utf8')] as const);
  for (const [name, src] of read('partials')) hbs.registerPartial(name, src);
  const layout = hbs.compile(readFileSync(path.join(dir, 'layouts', 'main.hbs'), 'utf8'));
  const pages = new Map(read('pages').map(([name, src]) => [name, hbs.compile(src)]));
  return {
    render(page, data) {
      const template = pages.get(page);
      if (!template) throw new Error(`no view ${page}`);
      return layout({ ...data, body: new Handlebars.SafeString(template(data)) });
    },
  };
}
