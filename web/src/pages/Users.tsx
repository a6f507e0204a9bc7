import { type FormEvent, useState } from 'react';
import { api, type Role } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useUser } from '../session.tsx';
import { ErrorBox, Field, FormModal, SecretModal, useAction, useAsync } from '../ui.tsx';
import { ListPage, StatusBadge } from './ListPage.tsx';

interface StaffUser {
  id: string;
  email: string;
  full_name: string;
  role: Role;
  unit_id: string | null;
  customer_id: string | null;
  active: boolean;
}

interface Unit {
  id: string;
  code: string;
  name: string;
  active: boolean;
}

/** Roles an admin hands out (a customer's admin comes with its customer's account). */
const STAFF_ROLES = ['admin', 'operator', 'support_agent', 'unit_user', 'agent_user', 'am', 'kam'] as const;
type StaffRole = (typeof STAFF_ROLES)[number];

/** Admin: staff users, their role and unit; create one (temporary password shown once), re-role, disable. */
export function UsersPage() {
  const { t } = useI18n();
  const me = useUser();
  const units = useAsync((s) => api.get<{ items: Unit[] }>('/api/units', undefined, s), []);
  const unitItems = units.data?.items ?? [];
  const unitLabel = (id: string | null) => {
    const u = unitItems.find((x) => x.id === id);
    return id === null ? '—' : u ? `${u.code} · ${u.name}` : id;
  };
  const [reloadKey, setReloadKey] = useState(0);
  const [issued, setIssued] = useState<{ email: string; password: string } | null>(null);
  const [editing, setEditing] = useState<StaffUser | null>(null);
  const [disabling, setDisabling] = useState<StaffUser | null>(null);
  const toggle = useAction();
  const reload = () => setReloadKey((k) => k + 1);

  return (
    <>
      <ErrorBox error={units.error} onRetry={units.reload} />
      <ListPage<StaffUser>
        title="users.title"
        intro="users.intro"
        url="/api/users"
        empty="users.empty"
        reloadKey={reloadKey}
        filters={[
          { name: 'role', label: 'users.role', options: STAFF_ROLES },
          {
            name: 'unit_id',
            label: 'users.unit',
            options: unitItems.map((u) => u.id),
            optionLabel: unitLabel,
          },
        ]}
        columns={[
          { label: 'users.email', render: (u) => u.email },
          { label: 'users.name', render: (u) => u.full_name },
          { label: 'users.role', render: (u) => t(`role.${u.role}`) },
          { label: 'users.unit', render: (u) => unitLabel(u.unit_id) },
          {
            label: 'common.status',
            render: (u) => <StatusBadge status={u.active ? 'active' : 'disabled'} />,
          },
        ]}
        actions={(u, reloadList) =>
          u.role === 'customer_admin' || u.id === me.id ? null : (
            <>
              <button type="button" className="btn btn-small" onClick={() => setEditing(u)}>
                {t('users.edit')}
              </button>
              {u.active ? (
                <button type="button" className="btn btn-small btn-danger" onClick={() => setDisabling(u)}>
                  {t('users.disable')}
                </button>
              ) : (
                <button
                  type="button"
                  className="btn btn-small"
                  disabled={toggle.busy}
                  onClick={async () => {
                    const ok = await toggle.run(() => api.patch(`/api/users/${u.id}`, { active: true }));
                    if (ok !== undefined) reloadList();
                  }}
                >
                  {t('users.enable')}
                </button>
              )}
            </>
          )
        }
      />
      <ErrorBox error={toggle.error} />
      <CreateUserForm
        units={unitItems}
        onCreated={(email, password) => {
          setIssued({ email, password });
          reload();
        }}
      />
      {issued ? (
        <SecretModal
          title={t('users.tempTitle', { email: issued.email })}
          warning={t('users.tempWarn')}
          secret={issued.password}
          testId="user-temp-password"
          onClose={() => setIssued(null)}
        />
      ) : null}
      {disabling ? (
        <FormModal
          title={t('users.disableTitle', { email: disabling.email })}
          submit={t('users.disable')}
          danger
          onSubmit={() => api.patch(`/api/users/${disabling.id}`, { active: false })}
          onDone={() => {
            setDisabling(null);
            reload();
          }}
          onClose={() => setDisabling(null)}
        >
          <p>{t('users.disableConfirm', { name: disabling.full_name, email: disabling.email })}</p>
        </FormModal>
      ) : null}
      {editing ? (
        <EditUserModal
          user={editing}
          units={unitItems}
          onClose={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            reload();
          }}
        />
      ) : null}
    </>
  );
}

function RoleUnitFields({
  role,
  unitId,
  units,
  onChange,
}: {
  role: StaffRole;
  unitId: string;
  units: Unit[];
  onChange: (role: StaffRole, unitId: string) => void;
}) {
  const { t } = useI18n();
  return (
    <>
      <Field label={t('users.role')}>
        {(id) => (
          <select id={id} value={role} onChange={(e) => onChange(e.target.value as StaffRole, unitId)}>
            {STAFF_ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('users.unit')} hint={t('users.unitHint')}>
        {(id, hint) => (
          <select
            id={id}
            aria-describedby={hint}
            value={unitId}
            onChange={(e) => onChange(role, e.target.value)}
          >
            <option value="">{t('users.noUnit')}</option>
            {units
              .filter((u) => u.active)
              .map((u) => (
                <option key={u.id} value={u.id}>
                  {u.code} · {u.name}
                </option>
              ))}
          </select>
        )}
      </Field>
    </>
  );
}

function CreateUserForm({
  units,
  onCreated,
}: {
  units: Unit[];
  onCreated: (email: string, password: string) => void;
}) {
  const { t } = useI18n();
  const empty = { email: '', full_name: '', role: 'operator' as StaffRole, unit_id: '' };
  const [form, setForm] = useState(empty);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await action.run(() =>
      api.post<{ user: StaffUser; temporary_password: string }>('/api/users', {
        email: form.email.trim(),
        full_name: form.full_name.trim(),
        role: form.role,
        unit_id: form.unit_id || null,
      }),
    );
    if (res) {
      setForm(empty);
      onCreated(res.user.email, res.temporary_password);
    }
  };
  return (
    <form className="card" aria-labelledby="user-add-h" onSubmit={submit}>
      <h2 id="user-add-h">{t('users.create')}</h2>
      <Field label={t('users.email')}>
        {(id) => (
          <input
            id={id}
            type="email"
            required
            maxLength={200}
            value={form.email}
            onChange={(e) => setForm({ ...form, email: e.target.value })}
          />
        )}
      </Field>
      <Field label={t('users.name')}>
        {(id) => (
          <input
            id={id}
            required
            maxLength={200}
            value={form.full_name}
            onChange={(e) => setForm({ ...form, full_name: e.target.value })}
          />
        )}
      </Field>
      <RoleUnitFields
        role={form.role}
        unitId={form.unit_id}
        units={units}
        onChange={(role, unit_id) => setForm({ ...form, role, unit_id })}
      />
      <ErrorBox error={action.error} />
      <button type="submit" className="btn btn-primary" disabled={action.busy}>
        {t('users.createSubmit')}
      </button>
    </form>
  );
}

function EditUserModal({
  user,
  units,
  onClose,
  onDone,
}: {
  user: StaffUser;
  units: Unit[];
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const [role, setRole] = useState(user.role as StaffRole);
  const [unitId, setUnitId] = useState(user.unit_id ?? '');
  return (
    <FormModal
      title={t('users.editTitle', { email: user.email })}
      submit={t('users.save')}
      onSubmit={() => api.patch(`/api/users/${user.id}`, { role, unit_id: unitId || null })}
      onDone={onDone}
      onClose={onClose}
    >
      <RoleUnitFields
        role={role}
        unitId={unitId}
        units={units}
        onChange={(r, u) => {
          setRole(r);
          setUnitId(u);
        }}
      />
    </FormModal>
  );
}
