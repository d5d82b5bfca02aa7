// The database plugin ltijs calls instead of MongoDB: one JSONB table, queries as containment.
// Contract (measured, see shared/LTIJS.md): Get returns an array or `false` when nothing matches;
// Delete must never throw (ltijs does not always await it); encrypted items are stored as their
// index fields plus a sealed copy, and come back decrypted with `createdAt` in milliseconds.
import { createSecretBox, type Logger } from '../shared/index.js';
import type { Db } from './types.js';

type Doc = Record<string, unknown>;

// Lifetimes ltijs expects (its Mongo schemas use TTL indexes with these values).
const TTL_SECONDS: Record<string, number> = {
  idtoken: 24 * 3600,
  contexttoken: 24 * 3600,
  accesstoken: 3600,
  state: 600,
  nonce: 10,
};

const SEALED = '__sealed';

export interface LtijsStore {
  setup(): Promise<true>;
  Close(): Promise<true>;
  Get(encKey: string | false, collection: string, query?: Doc): Promise<Doc[] | false>;
  Insert(encKey: string | false, collection: string, item: Doc, index?: Doc): Promise<true>;
  Replace(encKey: string | false, collection: string, query: Doc, item: Doc, index?: Doc): Promise<true>;
  Modify(encKey: string | false, collection: string, query: Doc, fields: Doc): Promise<true>;
  Delete(collection: string, query?: Doc): Promise<true>;
}

export function createLtijsStore(db: Db, secretKey: string, logger: Logger): LtijsStore {
  const box = createSecretBox(secretKey, 'ltijs');

  const toStored = (encKey: string | false, item: Doc, index?: Doc): Doc =>
    encKey ? { ...(index ?? {}), [SEALED]: box.seal(JSON.stringify(item)) } : item;

  const fromStored = (doc: Doc, createdAt: Date): Doc => {
    const sealed = doc[SEALED];
    const item = typeof sealed === 'string' ? (JSON.parse(box.open(sealed)) as Doc) : doc;
    return { ...item, createdAt: createdAt.getTime() };
  };

  const expiry = (collection: string): Date | null => {
    const ttl = TTL_SECONDS[collection];
    return ttl ? new Date(Date.now() + ttl * 1000) : null;
  };

  // A query is field-equals-value; a field given as undefined matches documents without it, as in
  // MongoDB (JSON.stringify would silently drop it and widen the match to everything).
  const match = (query: Doc, first: number): { sql: string; params: unknown[] } => {
    const defined = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
    const missing = Object.keys(query).filter((k) => query[k] === undefined);
    const params: unknown[] = [JSON.stringify(defined), ...missing];
    const sql = [`doc @> $${first}::jsonb`, ...missing.map((_, i) => `not (doc ? $${first + 1 + i})`)].join(' and ');
    return { sql, params };
  };
  const live = (query: Doc) => {
    const m = match(query, 2);
    return { sql: `collection = $1 and ${m.sql} and (expires_at is null or expires_at > now())`, params: m.params };
  };

  return {
    setup: async () => true,
    // The database belongs to the app, which closes it; ltijs only lets go of it.
    Close: async () => true,

    async Get(encKey, collection, query = {}) {
      const where = live(query);
      const rows = await db.query<{ doc: Doc; created_at: Date }>(
        `select doc, created_at from ltijs_documents where ${where.sql} order by id`,
        [collection, ...where.params],
      );
      if (rows.length === 0) return false;
      return rows.map((r) => fromStored(r.doc, r.created_at));
    },

    async Insert(encKey, collection, item, index) {
      await db.query('insert into ltijs_documents (collection, doc, expires_at) values ($1, $2::jsonb, $3)', [
        collection,
        JSON.stringify(toStored(encKey, item, index)),
        expiry(collection),
      ]);
      return true;
    },

    async Replace(encKey, collection, query, item, index) {
      const m = match(query, 2);
      await db.transaction(async (tx) => {
        // Serialise replaces of the same documents: under read committed, two concurrent
        // delete-then-insert transactions would each keep their insert.
        await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`${collection}:${JSON.stringify(query)}`]);
        await tx.query(`delete from ltijs_documents where collection = $1 and ${m.sql}`, [collection, ...m.params]);
        await tx.query('insert into ltijs_documents (collection, doc, expires_at) values ($1, $2::jsonb, $3)', [
          collection,
          JSON.stringify(toStored(encKey, item, index)),
          expiry(collection),
        ]);
      });
      return true;
    },

    async Modify(encKey, collection, query, fields) {
      await db.transaction(async (tx) => {
        const where = live(query);
        const rows = await tx.query<{ id: number; doc: Doc; created_at: Date }>(
          `select id, doc, created_at from ltijs_documents where ${where.sql} order by id limit 1 for update`,
          [collection, ...where.params],
        );
        const row = rows[0];
        if (!row) return;
        const next = encKey
          ? { ...row.doc, [SEALED]: box.seal(JSON.stringify({ ...stripCreatedAt(fromStored(row.doc, row.created_at)), ...fields })) }
          : { ...row.doc, ...fields };
        await tx.query('update ltijs_documents set doc = $2::jsonb where id = $1', [row.id, JSON.stringify(next)]);
      });
      return true;
    },

    async Delete(collection, query = {}) {
      try {
        const m = match(query, 2);
        await db.query(`delete from ltijs_documents where collection = $1 and ${m.sql}`, [collection, ...m.params]);
      } catch (err) {
        logger.error('ltijs store: delete failed', { collection, error: String(err) });
      }
      return true;
    },
  };
}

function stripCreatedAt(doc: Doc): Doc {
  const { createdAt: _ignored, ...rest } = doc;
  return rest;
}

/** Removes expired ltijs documents; called periodically by the app. */
export async function purgeExpiredLtijsDocuments(db: Db): Promise<void> {
  await db.query('delete from ltijs_documents where expires_at <= now()');
}
