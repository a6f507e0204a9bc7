import type { Config } from '../config.ts';
import type { Clock } from '../lib/clock.ts';
import { randomToken } from '../lib/ids.ts';
import { createApiKeyService } from '../modules/accounts/api-keys.service.ts';
import { hashPassword, verifyPassword } from '../modules/accounts/passwords.ts';
import type { Role } from '../modules/accounts/roles.ts';
import { systemActor } from '../modules/audit/audit.ts';
import type { Db } from './client.ts';

export interface SeedReport {
  logins: Array<{ email: string; role: Role; password: string | null; note: string }>;
  /** The demo customer's API key when it was created now (shown once) or set by EKYC_DEMO_API_KEY. */
  demoApiKey: string | null;
  demoCustomerId: string | null;
}

const IT_CENTER = { id: 'unt_ttcntt', code: 'TTCNTT', name: 'Trung tâm Công nghệ Thông tin MobiFone' };
const AGENTS = [
  {
    id: 'unt_agent1',
    code: 'DL-HN-01',
    name: 'Đại lý Hà Nội 01',
    legal: 'Công ty TNHH Giải pháp Số Hà Nội',
    tax: '0109876545',
  },
  {
    id: 'unt_agent2',
    code: 'DL-HCM-01',
    name: 'Đại lý TP.HCM 01',
    legal: 'Công ty CP Công nghệ Sài Gòn Số',
    tax: '0312345675',
  },
];
export const DEMO_CUSTOMER_ID = 'cus_demobank';

async function ensureUnit(
  db: Db,
  u: { id: string; kind: string; code: string; name: string; legal?: string; tax?: string; parent?: string },
) {
  await db.query(
    `INSERT INTO units (id, kind, code, name, legal_name, tax_code, parent_unit_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO NOTHING`,
    [u.id, u.kind, u.code, u.name, u.legal ?? null, u.tax ?? null, u.parent ?? null],
  );
}

async function ensureUser(
  db: Db,
  u: {
    id: string;
    email: string;
    name: string;
    role: Role;
    password: string;
    unitId?: string;
    customerId?: string;
  },
  resetPassword: boolean,
): Promise<void> {
  const [existing] = await db.query<{ id: string; password_hash: string }>(
    'SELECT id, password_hash FROM users WHERE lower(email) = lower($1)',
    [u.email],
  );
  if (!existing) {
    await db.query(
      `INSERT INTO users (id, email, full_name, password_hash, role, unit_id, customer_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO NOTHING`,
      [u.id, u.email, u.name, await hashPassword(u.password), u.role, u.unitId ?? null, u.customerId ?? null],
    );
  } else if (resetPassword && !(await verifyPassword(existing.password_hash, u.password))) {
    await db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [
      existing.id,
      await hashPassword(u.password),
    ]);
  }
}

/**
 * Idempotent: run at every start. Creates the admin, and in demo mode the units, staff, a demo bank
 * with an active Cloud SaaS contract and an API key. A restart adds nothing twice.
 */
export async function seed(db: Db, config: Config, clock: Clock): Promise<SeedReport> {
  const report: SeedReport = { logins: [], demoApiKey: null, demoCustomerId: null };
  const [adminExists] = await db.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [
    config.adminEmail,
  ]);
  const adminPassword =
    config.adminPassword ??
    (config.seedDemoData ? config.demoPassword : adminExists ? null : randomToken(12));
  if (adminPassword) {
    await ensureUser(
      db,
      {
        id: 'usr_admin',
        email: config.adminEmail,
        name: 'Quản trị hệ thống',
        role: 'admin',
        password: adminPassword,
      },
      config.adminPassword !== undefined,
    );
  }
  report.logins.push({
    email: config.adminEmail,
    role: 'admin',
    password: adminPassword,
    note: adminPassword ? 'Quản trị / Administrator' : 'password set earlier',
  });
  if (!config.seedDemoData) return report;

  const pw = config.demoPassword;
  await db.transaction(async (tx) => {
    await ensureUnit(tx, { ...IT_CENTER, kind: 'it_center' });
    for (let n = 1; n <= 9; n++) {
      await ensureUnit(tx, {
        id: `unt_ctkv${n}`,
        kind: 'ctkv',
        code: `CTKV${n}`,
        name: `Công ty Dịch vụ MobiFone Khu vực ${n}`,
      });
    }
    for (const a of AGENTS) {
      await ensureUnit(tx, {
        id: a.id,
        kind: 'agent',
        code: a.code,
        name: a.name,
        legal: a.legal,
        tax: a.tax,
        parent: IT_CENTER.id,
      });
    }
    const staff: Array<{ id: string; email: string; name: string; role: Role; unitId?: string }> = [
      { id: 'usr_operator', email: 'operator@ekyc.local', name: 'Nguyễn Văn Vận Hành', role: 'operator' },
      { id: 'usr_support', email: 'support@ekyc.local', name: 'Trần Thị Hỗ Trợ', role: 'support_agent' },
      { id: 'usr_am', email: 'am@ekyc.local', name: 'Lê Văn AM', role: 'am' },
      { id: 'usr_kam', email: 'kam@ekyc.local', name: 'Phạm Thị KAM', role: 'kam' },
      {
        id: 'usr_ttcntt',
        email: 'ttcntt@ekyc.local',
        name: 'Cán bộ Trung tâm CNTT',
        role: 'unit_user',
        unitId: IT_CENTER.id,
      },
      {
        id: 'usr_ctkv1',
        email: 'ctkv1@ekyc.local',
        name: 'Cán bộ CTKV 1',
        role: 'unit_user',
        unitId: 'unt_ctkv1',
      },
      {
        id: 'usr_agent1',
        email: 'agent1@ekyc.local',
        name: 'Nhân viên Đại lý HN 01',
        role: 'agent_user',
        unitId: 'unt_agent1',
      },
      {
        id: 'usr_agent2',
        email: 'agent2@ekyc.local',
        name: 'Nhân viên Đại lý HCM 01',
        role: 'agent_user',
        unitId: 'unt_agent2',
      },
    ];
    for (const s of staff) await ensureUser(tx, { ...s, password: pw }, false);

    await tx.query(
      `INSERT INTO customers (id, legal_name, tax_code, segment, managing_unit_id, am_user_id, contact_name, contact_email, contact_phone)
       VALUES ($1, $2, $3, 'bank', 'unt_ctkv1', 'usr_am', $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
      [
        DEMO_CUSTOMER_ID,
        'Ngân hàng TMCP Demo Việt Nam',
        '0101234560',
        'Hoàng Minh Khách',
        'it@demobank.vn',
        '0912345678',
      ],
    );
    await ensureUser(
      tx,
      {
        id: 'usr_demobank',
        email: 'admin@demobank.vn',
        name: 'Quản trị Ngân hàng Demo',
        role: 'customer_admin',
        customerId: DEMO_CUSTOMER_ID,
        password: pw,
      },
      false,
    );
    const today = clock.now();
    const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 2, 1));
    const end = new Date(Date.UTC(start.getUTCFullYear() + 1, start.getUTCMonth(), 0));
    await tx.query(
      `INSERT INTO contracts (id, customer_id, edition, status, start_date, end_date, term_months, signing_unit_id, am_user_id, price_plan_code)
       VALUES ('ctr_demobank', $1, 'cloud_saas', 'active', $2, $3, 12, 'unt_ctkv1', 'usr_am', 'cloud_saas_default')
       ON CONFLICT (id) DO NOTHING`,
      [DEMO_CUSTOMER_ID, start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)],
    );
    for (const s of staff) report.logins.push({ email: s.email, role: s.role, password: pw, note: s.name });
    report.logins.push({
      email: 'admin@demobank.vn',
      role: 'customer_admin',
      password: pw,
      note: 'Ngân hàng TMCP Demo',
    });
  });

  report.demoCustomerId = DEMO_CUSTOMER_ID;
  const apiKeys = createApiKeyService({ db, clock, graceHours: config.apiKeyGraceHours });
  if (config.demoApiKey) {
    if (!(await apiKeys.hasKeyHash(config.demoApiKey))) {
      await apiKeys.create(DEMO_CUSTOMER_ID, 'Demo key (EKYC_DEMO_API_KEY)', systemActor, config.demoApiKey);
    }
    report.demoApiKey = config.demoApiKey;
  } else if ((await apiKeys.list(DEMO_CUSTOMER_ID)).length === 0) {
    report.demoApiKey = (await apiKeys.create(DEMO_CUSTOMER_ID, 'Demo key', systemActor)).key;
  }
  return report;
}
