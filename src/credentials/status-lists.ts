// Revocation through W3C Bitstring Status Lists: each award owns one bit of a tenant's list; the
// list is published as a signed BitstringStatusListCredential, rebuilt only after a change.
import { BitstringStatusList, createCredential } from '@digitalbazaar/vc-bitstring-status-list';
import type { Db, Queryable } from '../db/index.js';
import { newId, type Clock } from '../shared/index.js';
import { iso, urls } from './ob3.js';
import type { Signers } from './signers.js';

// 131,072 entries: the spec's minimum list length, so one revocation hides among many.
export const STATUS_LIST_SIZE = 131_072;

// The spec counts bits from the left of each byte; PostgreSQL's set_bit/get_bit from the right.
const pgBit = (index: number) => Math.floor(index / 8) * 8 + (7 - (index % 8));

export function createStatusLists(deps: { db: Db; signers: Signers; publicUrl: string; clock: Clock }) {
  const u = urls(deps.publicUrl);
  return {
    /** Takes the next `count` free entries of the tenant's open lists, opening new lists as they fill. */
    async allocateMany(tx: Queryable, tenantId: string, count: number): Promise<Array<{ listId: string; index: number }>> {
      const out: Array<{ listId: string; index: number }> = [];
      while (out.length < count) {
        // "no key update": the awards of batches still open hold their list's row "for key share"
        // (their foreign key) until they commit, which "for update" would wait for.
        const open = await tx.query<{ id: string; next_index: number; size: number }>(
          `select id, next_index, size from status_lists where tenant_id = $1 and purpose = 'revocation' and next_index < size
           order by next_index desc limit 1 for no key update`,
          [tenantId],
        );
        let list = open[0];
        if (!list) {
          list = { id: newId(), next_index: 0, size: STATUS_LIST_SIZE };
          await tx.query('insert into status_lists (tenant_id, id, size, next_index, bits) values ($1, $2, $3, 0, $4)', [tenantId, list.id, STATUS_LIST_SIZE, new Uint8Array(STATUS_LIST_SIZE / 8)]);
        }
        const take = Math.min(count - out.length, list.size - list.next_index);
        await tx.query('update status_lists set next_index = next_index + $2 where id = $1', [list.id, take]);
        for (let i = 0; i < take; i += 1) out.push({ listId: list.id, index: list.next_index + i });
      }
      return out;
    },

    async setRevoked(tx: Queryable, listId: string, index: number): Promise<void> {
      // The published credential is dropped and rebuilt on the next read.
      await tx.query('update status_lists set bits = set_bit(bits, $2, 1), credential = null, updated_at = $3 where id = $1', [listId, pgBit(index), deps.clock.now()]);
    },

    async isRevoked(listId: string, index: number): Promise<boolean> {
      const rows = await deps.db.query<{ bit: number }>('select get_bit(bits, $2) as bit from status_lists where id = $1', [listId, pgBit(index)]);
      return rows[0]?.bit === 1;
    },

    /** The signed status list credential, or null for an unknown list. */
    async credential(listId: string): Promise<Record<string, unknown> | null> {
      const rows = await deps.db.query<{ tenant_id: string; bits: Uint8Array; credential: Record<string, unknown> | null }>(
        'select tenant_id, bits, credential from status_lists where id = $1',
        [listId],
      );
      const row = rows[0];
      if (!row) return null;
      if (row.credential) return row.credential;
      const list = new BitstringStatusList({ buffer: new Uint8Array(row.bits) });
      const unsigned = await createCredential({ id: u.statusList(listId), list, statusPurpose: 'revocation' });
      const credential = { ...unsigned, issuer: u.issuer(row.tenant_id), validFrom: iso(deps.clock.now()) };
      const signed = await deps.signers.signDataIntegrity(row.tenant_id, credential as never);
      // Stored only if nothing changed meanwhile; a concurrent revocation wins.
      await deps.db.query('update status_lists set credential = $2::jsonb where id = $1 and credential is null and bits = $3', [listId, JSON.stringify(signed), row.bits]);
      return signed;
    },
  };
}

export type StatusLists = ReturnType<typeof createStatusLists>;
