// CSV (RFC 4180) over a Writable: the header with the first page, then a page at a time, waiting for
// 'drain' when the reader is slower than the database, stopping when the reader goes away.
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { Table } from './datasets.js';
import { outDrained, watch } from './flow.js';

// CRLF records, fields quoted when they hold a quote, comma or line break. Cells starting with
// = + - @ (tab, CR and their full-width forms) get a leading ' so no spreadsheet runs them as
// formulas; negative numbers stay numbers.
const OPTIONS = {
  record_delimiter: 'windows',
  escape_formulas: true,
  cast: {
    boolean: (v: boolean) => (v ? 'true' : 'false'),
    date: (v: Date) => v.toISOString(),
    number: (v: number) => String(v),
  },
} as const;

export async function writeCsv(out: Writable, table: Table): Promise<'complete' | 'aborted'> {
  const w = watch(out);
  try {
    // The BOM lets spreadsheet programs read the file as UTF-8; the header goes with the first page,
    // so a failing first query still answers with a JSON error instead of half a file.
    let head: string | null = `\uFEFF${stringify([table.columns as string[]], OPTIONS)}`;
    for await (const page of table.pages) {
      if (!(await outDrained(out, w.signal))) return 'aborted';
      out.write((head ?? '') + stringify(page, OPTIONS));
      head = null;
    }
    if (!(await outDrained(out, w.signal))) return 'aborted';
    out.end(head ?? undefined);
    return 'complete';
  } finally {
    w.done();
  }
}
