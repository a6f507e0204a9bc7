-- Parties, identity, API keys, audit and notices: what every module builds on.

CREATE TABLE units (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('it_center', 'ctkv', 'agent')),
  code text NOT NULL UNIQUE,
  name text NOT NULL,
  legal_name text,
  tax_code text,
  parent_unit_id text REFERENCES units(id),
  email text,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customers (
  id text PRIMARY KEY,
  legal_name text NOT NULL,
  tax_code text NOT NULL UNIQUE,
  segment text NOT NULL CHECK (segment IN ('bank', 'finance', 'securities', 'insurance', 'other')),
  managing_unit_id text REFERENCES units(id),
  am_user_id text,
  contact_name text,
  contact_email text,
  contact_phone text,
  address text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_managing_unit_idx ON customers (managing_unit_id);

CREATE TABLE users (
  id text PRIMARY KEY,
  email text NOT NULL,
  full_name text NOT NULL,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'operator', 'unit_user', 'am', 'kam', 'agent_user', 'support_agent', 'customer_admin')),
  unit_id text REFERENCES units(id),
  customer_id text REFERENCES customers(id),
  phone text,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((role IN ('unit_user', 'agent_user')) = (unit_id IS NOT NULL) OR role IN ('am', 'kam')),
  CHECK ((role = 'customer_admin') = (customer_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_email_idx ON users (lower(email));
ALTER TABLE customers ADD CONSTRAINT customers_am_fk FOREIGN KEY (am_user_id) REFERENCES users(id);

CREATE TABLE user_sessions (
  token_hash text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  ip text,
  user_agent text
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);

CREATE TABLE login_failures (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL
);

-- The minimum a customer needs to be served; the contracts module adds its workflow columns.
CREATE TABLE contracts (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  edition text NOT NULL CHECK (edition IN ('cloud_saas', 'on_premise')),
  status text NOT NULL,
  start_date date NOT NULL,
  end_date date NOT NULL,
  term_months integer NOT NULL CHECK (term_months > 0),
  signing_unit_id text NOT NULL REFERENCES units(id),
  am_user_id text REFERENCES users(id),
  agent_unit_id text REFERENCES units(id),
  price_plan_code text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contracts_customer_idx ON contracts (customer_id);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  name text NOT NULL,
  prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text,
  last_used_at timestamptz,
  expires_at timestamptz,
  revoked_at timestamptz,
  replaced_by text REFERENCES api_keys(id)
);
CREATE INDEX api_keys_customer_idx ON api_keys (customer_id);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
  actor_id text,
  action text NOT NULL,
  entity_type text NOT NULL,
  entity_id text,
  customer_id text,
  ip text,
  request_id text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

-- Every email or letter the system sends goes through here; with no SMTP configured this is the outbox.
CREATE TABLE notices (
  id text PRIMARY KEY,
  channel text NOT NULL CHECK (channel IN ('email', 'letter')),
  recipient text NOT NULL,
  subject text NOT NULL,
  body_text text NOT NULL,
  template text NOT NULL,
  entity_type text,
  entity_id text,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'printed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
CREATE INDEX notices_status_idx ON notices (status, created_at);
