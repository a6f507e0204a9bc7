-- Contracts workflow (issue 7): contract lifecycle columns, timeline, operator tasks with working-day
-- deadlines, renewal reminders, one-time links, signed files, customer claims and the business calendar.

ALTER TABLE contracts
  ADD COLUMN signed_at date,
  ADD COLUMN declared_at timestamptz,
  ADD COLUMN activated_at timestamptz,
  -- First local date on which the service no longer works.
  ADD COLUMN cancel_effective_date date,
  ADD COLUMN renewal_of text REFERENCES contracts(id),
  ADD COLUMN onprem_amount_vnd bigint CHECK (onprem_amount_vnd IS NULL OR onprem_amount_vnd >= 0),
  ADD COLUMN notes text,
  ADD COLUMN payment_schedule jsonb,
  ADD COLUMN declared_by text REFERENCES users(id),
  ADD COLUMN cancel_reason text,
  ADD COLUMN cancel_requested_on date,
  ADD COLUMN renewed_by_contract_id text REFERENCES contracts(id),
  ADD COLUMN renewal_declined_at timestamptz,
  ADD COLUMN delivery_channel text CHECK (delivery_channel IS NULL OR delivery_channel IN ('email', 'letter')),
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

ALTER TABLE contracts ADD CONSTRAINT contracts_status_check CHECK (status IN (
  'declared', 'provisioning', 'active', 'expiring', 'renewed', 'expired', 'cancellation_requested', 'cancelled'));
ALTER TABLE contracts ADD CONSTRAINT contracts_dates_check CHECK (end_date >= start_date);
CREATE INDEX contracts_status_idx ON contracts (status, end_date);
CREATE INDEX contracts_renewal_of_idx ON contracts (renewal_of);

-- Unit managers receive escalations.
ALTER TABLE units ADD COLUMN manager_user_id text REFERENCES users(id);

ALTER TABLE customers ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- A unit asks to manage an unassigned customer; an admin approves.
CREATE TABLE customer_claims (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  unit_id text NOT NULL REFERENCES units(id),
  requested_by text NOT NULL REFERENCES users(id),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  reason text,
  decided_by text REFERENCES users(id),
  decided_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customer_claims_pending_idx ON customer_claims (customer_id, unit_id) WHERE status = 'pending';

-- Every transition of a contract: who, when, why. The timeline.
CREATE TABLE contract_events (
  id bigserial PRIMARY KEY,
  contract_id text NOT NULL REFERENCES contracts(id),
  at timestamptz NOT NULL,
  actor_type text NOT NULL,
  actor_id text,
  event text NOT NULL,
  from_status text,
  to_status text,
  reason text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX contract_events_contract_idx ON contract_events (contract_id, id);

-- Workflow steps with working-day deadlines: for operators (unit_id NULL) or for a unit.
CREATE TABLE tasks (
  id text PRIMARY KEY,
  kind text NOT NULL,
  contract_id text REFERENCES contracts(id),
  customer_id text REFERENCES customers(id),
  assignee text NOT NULL CHECK (assignee IN ('operator', 'unit')),
  unit_id text REFERENCES units(id),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
  due_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  done_at timestamptz,
  done_by text,
  escalated_at timestamptz
);
CREATE INDEX tasks_open_idx ON tasks (status, due_at);
CREATE INDEX tasks_contract_idx ON tasks (contract_id);

-- Exactly one reminder per contract and milestone, whatever retries the job goes through.
CREATE TABLE contract_reminders (
  contract_id text NOT NULL REFERENCES contracts(id),
  milestone text NOT NULL,
  sent_at timestamptz NOT NULL,
  PRIMARY KEY (contract_id, milestone)
);

-- Account details handed to the signing unit once, behind a link; the payload is encrypted at rest
-- and wiped when the link is opened.
CREATE TABLE secure_links (
  id text PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  contract_id text NOT NULL REFERENCES contracts(id),
  unit_id text REFERENCES units(id),
  payload bytea,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  opened_at timestamptz,
  opened_by text
);

-- Signed contract PDFs in the blob store (encrypted); this is the index.
CREATE TABLE contract_files (
  id text PRIMARY KEY,
  contract_id text NOT NULL REFERENCES contracts(id),
  storage_key text NOT NULL UNIQUE,
  file_name text NOT NULL,
  content_type text NOT NULL,
  size_bytes integer NOT NULL,
  sha256 text NOT NULL,
  uploaded_by text,
  uploaded_at timestamptz NOT NULL
);
CREATE INDEX contract_files_contract_idx ON contract_files (contract_id);

-- Admin overrides of the business calendar: a holiday, a make-up working day, or `cleared` to drop a
-- shipped default day.
CREATE TABLE calendar_days (
  day date PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('holiday', 'working_day', 'cleared')),
  name_vi text NOT NULL DEFAULT '',
  name_en text NOT NULL DEFAULT '',
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);
