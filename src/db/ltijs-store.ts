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

  const live = `collection = $1 and doc @> $2::jsonb and (expires_at is null or expires_at > now())`;

  return {
    setup: async () => true,
    // The database belongs to the app, which closes it; ltijs only lets go of it.
    Close: async () => true,

    async Get(encKey, collection, query = {}) {
      const rows = await db.query<{ doc: Doc; created_at: Date }>(
        `select doc, created_at from ltijs_documents where ${live} order by id`,
        [collection, JSON.stringify(query)],
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
      await db.transaction(async (tx) => {
        await tx.query('delete from ltijs_documents where collection = $1 and doc @> $2::jsonb', [
          collection,
          JSON.stringify(query),
        ]);
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
        const rows = await tx.query<{ id: number; doc: Doc; created_at: Date }>(
          `select id, doc, created_at from ltijs_documents where ${live} order by id limit 1 for update`,
          [collection, JSON.stringify(query)],
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
        await db.query('delete from ltijs_documents where collection = $1 and doc @> $2::jsonb', [
          collection,
          JSON.stringify(query),
        ]);
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
