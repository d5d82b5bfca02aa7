// The two file formats of the exports, each written to a Writable (an HTTP response) as it goes.
import type { Writable } from 'node:stream';
import { writeCsv } from './csv.js';
import type { Table } from './datasets.js';
import { writeXlsx } from './xlsx.js';

export type Format = 'csv' | 'xlsx';
export const FORMATS: readonly Format[] = ['csv', 'xlsx'];
/** 'aborted': the reader went away first, and nothing more was read from the database. */
export type Outcome = 'complete' | 'aborted';

export const CONTENT_TYPES: Record<Format, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export const writeTable = (out: Writable, format: Format, table: Table): Promise<Outcome> =>
  format === 'csv' ? writeCsv(out, table) : writeXlsx(out, table);
