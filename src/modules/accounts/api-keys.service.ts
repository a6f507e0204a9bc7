import type { Db } from '../../db/client.ts';
import { defineErrors, httpError } from '../../http/errors.ts';
import { localDateOf } from '../../lib/calendar/dates.ts';
import type { Clock } from '../../lib/clock.ts';
import { sha256Hex } from '../../lib/hash.ts';
import { newId, randomToken } from '../../lib/ids.ts';
import { type Actor, recordAudit } from '../audit/audit.ts';
import { customerHasContractInForce } from '../contracts/in-force.ts';
import * as repo from './api-keys.repo.ts';

const contractError = defineErrors({
  ERR_CONTRACT_INACTIVE: { status: 403, title: 'The customer has no contract in force' },
});

/** Secrets have 240 random bits, so a plain SHA-256 is enough to store them (no slow hash per request). */
export function generateApiKey(): string {
  return `mfk_${randomToken(30)}`;
}

export const keyPrefix = (key: string) => key.slice(0, 12);

export interface PublicApiKey {
  id: string;
  customer_id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  replaced_by: string | null;
  status: 'active' | 'expiring' | 'expired' | 'revoked';
}

export function createApiKeyService(deps: { db: Db; clock: Clock; graceHours: number }) {
  const { db, clock } = deps;

  function present(row: repo.ApiKeyRow): PublicApiKey {
    const now = clock.now().getTime();
    const status = row.revoked_at
      ? 'revoked'
      : row.expires_at && row.expires_at.getTime() <= now
        ? 'expired'
        : row.expires_at
          ? 'expiring'
          : 'active';
    return {
      id: row.id,
      customer_id: row.customer_id,
      name: row.name,
      prefix: row.prefix,
      created_at: row.created_at.toISOString(),
      last_used_at: row.last_used_at?.toISOString() ?? null,
      expires_at: row.expires_at?.toISOString() ?? null,
      revoked_at: row.revoked_at?.toISOString() ?? null,
      replaced_by: row.replaced_by,
      status,
    };
  }

  async function create(
    customerId: string,
    name: string,
    actor: Actor,
    tx: Db = db,
    key: string = generateApiKey(),
  ): Promise<{ key: string; apiKey: PublicApiKey }> {
    const row = await repo.insertApiKey(tx, {
      id: newId('key'),
      customerId,
      name,
      prefix: keyPrefix(key),
      keyHash: sha256Hex(key),
      createdBy: actor.id,
    });
    await recordAudit(tx, actor, {
      action: 'api_key.create',
      entityType: 'api_key',
      entityId: row.id,
      customerId,
      details: { prefix: row.prefix },
    });
    return { key, apiKey: present(row) };
  }

  async function getOwned(id: string, canSeeCustomer: (customerId: string) => Promise<boolean>) {
    const row = await repo.findApiKey(db, id);
    if (!row || !(await canSeeCustomer(row.customer_id)))
      throw httpError('ERR_NOT_FOUND', 'API key not found');
    return row;
  }

  return {
    create: (customerId: string, name: string, actor: Actor, key?: string) =>
      db.transaction((tx) => create(customerId, name, actor, tx, key)),

    async list(customerId: string): Promise<PublicApiKey[]> {
      return (await repo.listApiKeys(db, customerId)).map(present);
    },

    async revoke(id: string, actor: Actor, canSeeCustomer: (customerId: string) => Promise<boolean>) {
      const row = await getOwned(id, canSeeCustomer);
      await db.transaction(async (tx) => {
        await repo.revokeApiKey(tx, id, clock.now());
        await recordAudit(tx, actor, {
          action: 'api_key.revoke',
          entityType: 'api_key',
          entityId: id,
          customerId: row.customer_id,
        });
      });
      return present((await repo.findApiKey(db, id))!);
    },

    /** Issues a new key; the old one keeps working for the grace period so clients can switch over. */
    async rotate(
      id: string,
      actor: Actor,
      canSeeCustomer: (customerId: string) => Promise<boolean>,
      graceHours = deps.graceHours,
    ) {
      const old = await getOwned(id, canSeeCustomer);
      if (old.revoked_at || old.replaced_by)
        throw httpError('ERR_CONFLICT', 'This key is revoked or already rotated');
      return db.transaction(async (tx) => {
        const created = await create(old.customer_id, old.name, actor, tx);
        const until = new Date(clock.now().getTime() + graceHours * 3_600_000);
        await repo.expireApiKey(tx, old.id, until, created.apiKey.id);
        await recordAudit(tx, actor, {
          action: 'api_key.rotate',
          entityType: 'api_key',
          entityId: old.id,
          customerId: old.customer_id,
          details: { replaced_by: created.apiKey.id, old_key_expires_at: until.toISOString() },
        });
        return { ...created, previous: present((await repo.findApiKey(tx, old.id))!) };
      });
    },

    /** The customer behind a bearer key, or undefined when unknown, revoked or past its grace period. */
    async authenticate(key: string): Promise<{ keyId: string; customerId: string } | undefined> {
      const row = await repo.findApiKeyByHash(db, sha256Hex(key));
      const now = clock.now();
      if (!row || row.revoked_at || (row.expires_at && row.expires_at <= now)) return undefined;
      // A key works only while its customer has a contract in force on today's local date.
      if (!(await customerHasContractInForce(db, row.customer_id, localDateOf(now)))) {
        throw contractError('ERR_CONTRACT_INACTIVE');
      }
      // One write a minute at most per key: enough for "last used", cheap on the hot path.
      if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) {
        await repo.touchApiKey(db, row.id, now);
      }
      return { keyId: row.id, customerId: row.customer_id };
    },

    async hasKeyHash(key: string): Promise<boolean> {
      return (await repo.findApiKeyByHash(db, sha256Hex(key))) !== undefined;
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
