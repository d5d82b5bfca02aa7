// XLSX with exceljs's streaming WorkbookWriter: each row committed as it comes, a page at a time.
// exceljs hands the sheet's XML to the zip without heeding backpressure, so we watch the zip's input.
import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Cell, Table } from './datasets.js';
import { drained, outDrained, primed, watch, whenAborted } from './flow.js';

type Book = ExcelJS.stream.xlsx.WorkbookWriter;
type Sheet = ExcelJS.Worksheet; // a streaming worksheet writer at run time
type PendingInput = EventEmitter & { _writableState: { needDrain: boolean } };

/** The stream inside the zip that the sheet's rows wait in (exceljs 4 / archiver 5); null if not found. */
function zipInput(sheet: Sheet): PendingInput | null {
  const input = (sheet as unknown as { stream?: { pipes?: unknown[] } }).stream?.pipes?.[0] as Partial<PendingInput> | undefined;
  return input?._writableState && typeof input.once === 'function' ? (input as PendingInput) : null;
}

/** The client left: stop the zip (its 'finish' would never come) and drop what it holds. */
function abandon(book: Book, out: Writable): 'aborted' {
  const zip = (book as unknown as { zip: { unpipe(s: Writable): void; abort(): void; on(e: 'error', f: () => void): void } }).zip;
  zip.on('error', () => undefined);
  zip.unpipe(out);
  zip.abort();
  return 'aborted';
}

function addRows(sheet: Sheet, page: Cell[][]): void {
  for (const cells of page) {
    // Dates as dates; text always as text (exceljs writes a formula only from a {formula} value).
    const row = sheet.addRow(cells);
    cells.forEach((c, i) => {
      if (c instanceof Date) row.getCell(i + 1).numFmt = 'yyyy-mm-dd hh:mm:ss';
    });
    row.commit();
  }
}

export async function writeXlsx(out: Writable, table: Table): Promise<'complete' | 'aborted'> {
  const pages = await primed(table.pages);
  const w = watch(out);
  // Shared strings would keep every distinct string in memory until the end: inline strings instead.
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  try {
    const sheet = book.addWorksheet(table.name);
    const header = sheet.addRow([...table.columns]);
    header.font = { bold: true };
    header.commit();
    for await (const page of pages) {
      addRows(sheet, page);
      const input = zipInput(sheet);
      const ready = (!input || (await drained(input, input._writableState.needDrain, w.signal))) && (await outDrained(out, w.signal));
      if (!ready) return abandon(book, out);
    }
    sheet.commit();
    const outcome = await Promise.race([book.commit().then(() => 'complete' as const), whenAborted(w.signal)]);
    return outcome === 'aborted' ? abandon(book, out) : outcome;
  } finally {
    w.done();
  }
}
