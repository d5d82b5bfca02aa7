// CSV completions from the instructor panel: parsed with csv-parse, each row checked against the
// course's modules, with its row number, so the instructor sees every problem before anything is
// imported. Header names are forgiving (learner_id / learner id / Learner ID).
import { parse } from 'csv-parse/sync';

export interface CsvModule { id: string; title: string; externalId: string | null }
export interface CsvRow { row: number; learnerId: string; email: string | null; name: string | null; moduleId: string; moduleTitle: string; score: number; maxScore: number; completedAt: string }
export interface CsvProblem { row: number; message: string }

export const CSV_MAX_ROWS = 5000;
const norm = (h: string) => h.trim().toLowerCase().replace(/[\s-]+/g, '_');

export function parseCompletionsCsv(text: string, modules: CsvModule[], now: Date): { rows: CsvRow[]; problems: CsvProblem[] } {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true, bom: true }) as string[][];
  } catch (err) {
    return { rows: [], problems: [{ row: 0, message: `The file is not valid CSV: ${(err as Error).message}` }] };
  }
  if (records.length < 2) return { rows: [], problems: [{ row: 0, message: 'The file needs a header row and at least one completion.' }] };
  if (records.length - 1 > CSV_MAX_ROWS) return { rows: [], problems: [{ row: 0, message: `At most ${CSV_MAX_ROWS} rows per file; this one has ${records.length - 1}.` }] };
  const header = records[0]!.map(norm);
  const col = (name: string) => header.indexOf(name);
  const need = ['learner_id', 'module', 'score'];
  const missing = need.filter((n) => col(n) < 0);
  if (missing.length) return { rows: [], problems: [{ row: 1, message: `Missing column(s): ${missing.join(', ')}. Expected: learner_id, email, name, module, score, max_score, completed_at.` }] };
  const byKey = new Map<string, CsvModule>();
  for (const m of modules) {
    byKey.set(m.id, m);
    byKey.set(m.title.trim().toLowerCase(), m);
    if (m.externalId) byKey.set(m.externalId, m);
  }
  const rows: CsvRow[] = [];
  const problems: CsvProblem[] = [];
  records.slice(1).forEach((r, i) => {
    const row = i + 2; // the header is row 1
    const get = (name: string) => (col(name) >= 0 ? (r[col(name)] ?? '').trim() : '');
    const errors: string[] = [];
    const learnerId = get('learner_id');
    if (!learnerId) errors.push('learner_id is empty');
    const email = get('email') || null;
    if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) errors.push(`email "${email}" is not an address`);
    const moduleRef = get('module');
    const module = byKey.get(moduleRef) ?? byKey.get(moduleRef.toLowerCase());
    if (!module) errors.push(`module "${moduleRef}" is not a module of this course`);
    const score = Number(get('score'));
    const maxRaw = get('max_score');
    const maxScore = maxRaw ? Number(maxRaw) : 100;
    if (get('score') === '' || !Number.isFinite(score) || score < 0) errors.push(`score "${get('score')}" is not a number ≥ 0`);
    if (!Number.isFinite(maxScore) || maxScore <= 0) errors.push(`max_score "${maxRaw}" is not a positive number`);
    else if (Number.isFinite(score) && score > maxScore) errors.push(`score ${score} exceeds max_score ${maxScore}`);
    const at = get('completed_at');
    const t = at ? Date.parse(at) : now.getTime();
    if (Number.isNaN(t)) errors.push(`completed_at "${at}" is not a date`);
    if (errors.length) problems.push({ row, message: errors.join('; ') });
    else rows.push({ row, learnerId, email, name: get('name') || null, moduleId: module!.id, moduleTitle: module!.title, score, maxScore, completedAt: new Date(t).toISOString() });
  });
  return { rows, problems };
}
