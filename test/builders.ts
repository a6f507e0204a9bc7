import type { Db } from '../src/db/client.ts';
import { newId } from '../src/lib/ids.ts';
import { taxCodeCheckDigit } from '../src/lib/tax-code.ts';
import { hashPassword } from '../src/modules/accounts/passwords.ts';
import type { Role } from '../src/modules/accounts/roles.ts';
import { DEMO_PASSWORD } from './app.ts';

/** A valid tax code that no other builder call returns. */
export function uniqueTaxCode(): string {
  for (;;) {
    const first9 = String(Math.floor(Math.random() * 1e9)).padStart(9, '0');
    const check = taxCodeCheckDigit(first9);
    if (check !== null) return `${first9}${check}`;
  }
}

export async function aCustomer(
  db: Db,
  o: { unitId?: string | null; amUserId?: string | null; name?: string } = {},
): Promise<string> {
  const id = newId('cus');
  await db.query(
    `INSERT INTO customers (id, legal_name, tax_code, segment, managing_unit_id, am_user_id) VALUES ($1, $2, $3, 'bank', $4, $5)`,
    [id, o.name ?? `Ngân hàng Thử ${id.slice(-4)}`, uniqueTaxCode(), o.unitId ?? null, o.amUserId ?? null],
  );
  return id;
}

let passwordHash: Promise<string> | undefined;

export async function aUser(
  db: Db,
  o: { role: Role; unitId?: string; customerId?: string; email?: string },
): Promise<{ id: string; email: string }> {
  const id = newId('usr');
  const email = o.email ?? `${id}@test.local`;
  passwordHash ??= hashPassword(DEMO_PASSWORD);
  await db.query(
    `INSERT INTO users (id, email, full_name, password_hash, role, unit_id, customer_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [id, email, `User ${id}`, await passwordHash, o.role, o.unitId ?? null, o.customerId ?? null],
  );
  return { id, email };
}
