// One database interface over PGlite (embedded) and pg (a PostgreSQL server).
// Only src/db imports a database driver.

export type Row = Record<string, unknown>;

export interface Queryable {
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface TransactionOptions { repeatableRead?: boolean }

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs several statements at once (migrations). */
  exec(sql: string): Promise<void>;
  /** `repeatableRead`: every statement of it sees one snapshot, taken by its first. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * This database with run-time settings (names and plain values) on every statement. On a
   * PostgreSQL server, connections of a pool of their own start with them, so that a statement
   * needs no transaction around it to set them (four round trips instead of one); PGlite runs in
   * this process and is given back as it is.
   */
  withSettings(settings: Readonly<Record<string, string>>): Db;
  close(): Promise<void>;
}
