import type { Db } from '../../db/client.ts';
import { defineErrors, httpError } from '../../http/errors.ts';
import { newId, randomToken } from '../../lib/ids.ts';
import { type Actor, recordAudit } from '../audit/audit.ts';
import { hashPassword } from './passwords.ts';
import type { Role } from './roles.ts';
import * as repo from './users.admin.repo.ts';

export const userError = defineErrors({
  ERR_EMAIL_TAKEN: { status: 409, title: 'A user with this email already exists' },
  ERR_USER_UNIT: { status: 400, title: 'The unit does not fit the role' },
  ERR_USER_SELF: { status: 409, title: 'You cannot disable yourself or give up your own admin role' },
  ERR_LAST_ADMIN: { status: 409, title: 'The last active admin cannot be disabled or demoted' },
});

/** Roles an admin hands out; a customer's admin is created with its customer's account, not here. */
export const STAFF_USER_ROLES = [
  'admin',
  'operator',
  'support_agent',
  'unit_user',
  'agent_user',
  'am',
  'kam',
] as const satisfies readonly Role[];
export type StaffRole = (typeof STAFF_USER_ROLES)[number];

/** Which unit kinds each role may belong to; `required` roles must have one, the rest none. */
const UNIT_RULES: Record<StaffRole, { kinds: readonly string[]; required: boolean }> = {
  admin: { kinds: [], required: false },
  operator: { kinds: [], required: false },
  support_agent: { kinds: [], required: false },
  unit_user: { kinds: ['it_center', 'ctkv'], required: true },
  agent_user: { kinds: ['agent'], required: true },
  am: { kinds: ['it_center', 'ctkv', 'agent'], required: false },
  kam: { kinds: ['it_center', 'ctkv', 'agent'], required: false },
};

export interface PublicUser {
  id: string;
  email: string;
  full_name: string;
  role: Role;
  unit_id: string | null;
  customer_id: string | null;
  active: boolean;
  created_at: string;
}

const present = (r: repo.UserListRow): PublicUser => ({ ...r, created_at: r.created_at.toISOString() });

export function createUserService(deps: { db: Db }) {
  const { db } = deps;

  async function checkUnit(tx: Db, role: StaffRole, unitId: string | null) {
    const rule = UNIT_RULES[role];
    if (unitId === null) {
      if (rule.required) throw userError('ERR_USER_UNIT', `The role ${role} needs a unit`);
      return;
    }
    if (rule.kinds.length === 0) throw userError('ERR_USER_UNIT', `The role ${role} takes no unit`);
    const unit = await repo.findUnitKind(tx, unitId);
    if (!unit?.active) throw userError('ERR_USER_UNIT', 'Unknown or inactive unit');
    if (!rule.kinds.includes(unit.kind))
      throw userError('ERR_USER_UNIT', `The role ${role} needs a unit of kind ${rule.kinds.join(' or ')}`);
  }

  return {
    async list(filter: { role?: Role; unitId?: string; active?: boolean; limit: number; offset?: number }) {
      return (await repo.listUsers(db, filter)).map(present);
    },

    /** Creates a staff user with a random temporary password, returned once and stored only as a hash. */
    async create(
      input: { email: string; fullName: string; role: StaffRole; unitId: string | null },
      actor: Actor,
    ): Promise<{ user: PublicUser; temporaryPassword: string }> {
      const temporaryPassword = randomToken(12);
      const passwordHash = await hashPassword(temporaryPassword);
      try {
        const user = await db.transaction(async (tx) => {
          await checkUnit(tx, input.role, input.unitId);
          const row = await repo.insertUser(tx, {
            id: newId('usr'),
            email: input.email.trim().toLowerCase(),
            fullName: input.fullName.trim(),
            passwordHash,
            role: input.role,
            unitId: input.unitId,
          });
          await recordAudit(tx, actor, {
            action: 'user.create',
            entityType: 'user',
            entityId: row.id,
            details: { role: row.role, unit_id: row.unit_id },
          });
          return row;
        });
        return { user: present(user), temporaryPassword };
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw userError('ERR_EMAIL_TAKEN');
        throw err;
      }
    },

    /** Changes role, unit or active; a disabled user's sessions end at once. */
    async update(
      id: string,
      change: { role?: StaffRole; unitId?: string | null; active?: boolean },
      actor: Actor,
    ): Promise<PublicUser> {
      return present(
        await db.transaction(async (tx) => {
          const admins = await repo.lockActiveAdmins(tx);
          const old = await repo.findUser(tx, id, true);
          if (!old) throw httpError('ERR_NOT_FOUND', 'User not found');
          if (old.role === 'customer_admin' && (change.role !== undefined || change.unitId !== undefined))
            throw httpError('ERR_BAD_REQUEST', "A customer's admin keeps its role and has no unit");
          const next = {
            role: change.role ?? old.role,
            // A new role without a unit drops the old unit, so "make this unit user an operator" is one change.
            unitId: change.unitId !== undefined ? change.unitId : change.role ? null : old.unit_id,
            active: change.active ?? old.active,
          };
          const losesAdmin = old.role === 'admin' && old.active && (next.role !== 'admin' || !next.active);
          if (losesAdmin && id === actor.id) throw userError('ERR_USER_SELF');
          if (losesAdmin && admins.length <= 1) throw userError('ERR_LAST_ADMIN');
          if (next.role !== 'customer_admin') await checkUnit(tx, next.role as StaffRole, next.unitId);
          const row = await repo.updateUser(tx, id, next);
          if (old.active && !next.active) await repo.deleteUserSessions(tx, id);
          const details: Record<string, unknown> = {};
          if (old.role !== row.role) details.role = { from: old.role, to: row.role };
          if (old.unit_id !== row.unit_id) details.unit_id = { from: old.unit_id, to: row.unit_id };
          if (old.active !== row.active) details.active = { from: old.active, to: row.active };
          if (Object.keys(details).length > 0)
            await recordAudit(tx, actor, {
              action: 'user.update',
              entityType: 'user',
              entityId: id,
              details,
            });
          return row;
        }),
      );
    },
  };
}
