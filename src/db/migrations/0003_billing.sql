-- Billing: metered usage, price plans with versions, invoices and credit notes, channel share ledger.
-- Money is integer VND (bigint); rates are basis points (10 % = 1000).

-- One row per billable request. `request_id` is unique so a retried ingestion never counts twice.
CREATE TABLE usage_events (
  id bigserial PRIMARY KEY,
  request_id text NOT NULL,
  customer_id text NOT NULL,
  api_key_id text,
  kind text NOT NULL,
  at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX usage_events_request_idx ON usage_events (request_id);
CREATE INDEX usage_events_customer_at_idx ON usage_events (customer_id, at);

CREATE TABLE price_plans (
  code text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{2,60}$'),
  name text NOT NULL,
  -- A custom plan belongs to one customer; NULL = a public plan.
  customer_id text REFERENCES customers(id),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A plan's price table over time: the version in force for a month is the latest one whose
-- effective_from is on or before the month's first day.
CREATE TABLE price_plan_versions (
  id text PRIMARY KEY,
  plan_code text NOT NULL REFERENCES price_plans(code),
  effective_from date NOT NULL,
  tier_mode text NOT NULL CHECK (tier_mode IN ('volume', 'graduated')),
  -- [{"up_to": 5000, "unit_price_vnd": 1000}, …, {"up_to": null, "unit_price_vnd": 750}]
  tiers jsonb NOT NULL,
  minimum_monthly_vnd bigint NOT NULL DEFAULT 0 CHECK (minimum_monthly_vnd >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (plan_code, effective_from)
);

INSERT INTO price_plans (code, name) VALUES ('cloud_saas_default', 'Cloud SaaS — bảng giá chuẩn');
INSERT INTO price_plan_versions (id, plan_code, effective_from, tier_mode, tiers) VALUES
  ('ppv_cloudsaasdefault2020', 'cloud_saas_default', '2020-01-01', 'volume',
   '[{"up_to":5000,"unit_price_vnd":1000},{"up_to":10000,"unit_price_vnd":950},{"up_to":20000,"unit_price_vnd":900},{"up_to":30000,"unit_price_vnd":850},{"up_to":50000,"unit_price_vnd":800},{"up_to":null,"unit_price_vnd":750}]');

-- On-premise: negotiated amounts billed in the month given (one-off or each month of a schedule).
CREATE TABLE billing_schedule_items (
  id text PRIMARY KEY,
  contract_id text NOT NULL REFERENCES contracts(id),
  bill_month date NOT NULL CHECK (extract(day FROM bill_month) = 1),
  amount_vnd bigint NOT NULL CHECK (amount_vnd > 0),
  description text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (contract_id, bill_month, description)
);

CREATE TABLE invoices (
  id text PRIMARY KEY,
  number text UNIQUE,
  kind text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
  customer_id text NOT NULL REFERENCES customers(id),
  period_month date NOT NULL,
  credits_invoice_id text REFERENCES invoices(id),
  status text NOT NULL CHECK (status IN ('draft', 'finalized')),
  vat_rate_bp integer NOT NULL,
  subtotal_vnd bigint NOT NULL,
  vat_vnd bigint NOT NULL,
  total_vnd bigint NOT NULL,
  reason text,
  review_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finalized_at timestamptz,
  finalized_by text,
  CHECK ((kind = 'credit_note') = (credits_invoice_id IS NOT NULL))
);
-- One usage invoice per customer and month: a re-run finds it instead of adding another.
CREATE UNIQUE INDEX invoices_customer_month_idx ON invoices (customer_id, period_month) WHERE kind = 'invoice';
CREATE INDEX invoices_period_idx ON invoices (period_month, status);
CREATE INDEX invoices_credits_idx ON invoices (credits_invoice_id);

CREATE TABLE invoice_lines (
  id text PRIMARY KEY,
  invoice_id text NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
  line_no integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('usage', 'onprem', 'minimum', 'credit')),
  contract_id text REFERENCES contracts(id),
  credits_line_id text REFERENCES invoice_lines(id),
  description text NOT NULL,
  quantity bigint NOT NULL,
  unit_price_vnd bigint,
  amount_vnd bigint NOT NULL,
  vat_vnd bigint NOT NULL,
  plan_code text,
  tier_mode text,
  breakdown jsonb NOT NULL DEFAULT '[]'::jsonb,
  UNIQUE (invoice_id, line_no)
);
CREATE INDEX invoice_lines_contract_idx ON invoice_lines (contract_id);

CREATE SEQUENCE invoice_number_seq;

-- Channel share ("chi phí phát triển và duy trì DV") rates over time.
CREATE TABLE commission_rates (
  id text PRIMARY KEY,
  channel text NOT NULL CHECK (channel IN ('agent', 'am')),
  rate_bp integer NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
  effective_from date NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel, effective_from)
);
INSERT INTO commission_rates (id, channel, rate_bp, effective_from) VALUES
  ('crt_agent2020', 'agent', 4000, '2020-01-01'),
  ('crt_am2020', 'am', 3500, '2020-01-01');

-- The ledger: one entry per finalized invoice line with a channel; credit notes add reversals.
CREATE TABLE commission_entries (
  id text PRIMARY KEY,
  invoice_id text NOT NULL REFERENCES invoices(id),
  invoice_line_id text NOT NULL REFERENCES invoice_lines(id),
  contract_id text NOT NULL REFERENCES contracts(id),
  customer_id text NOT NULL REFERENCES customers(id),
  channel text NOT NULL CHECK (channel IN ('agent', 'am')),
  beneficiary_unit_id text REFERENCES units(id),
  beneficiary_user_id text REFERENCES users(id),
  base_vnd bigint NOT NULL,
  rate_bp integer NOT NULL,
  amount_vnd bigint NOT NULL,
  -- Local month the entry is booked in: the month of the statement that shows it.
  statement_month date NOT NULL,
  reverses_entry_id text REFERENCES commission_entries(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((channel = 'agent') = (beneficiary_unit_id IS NOT NULL)),
  CHECK ((channel = 'am') = (beneficiary_user_id IS NOT NULL))
);
CREATE UNIQUE INDEX commission_entries_line_idx ON commission_entries (invoice_line_id);
CREATE INDEX commission_entries_unit_idx ON commission_entries (beneficiary_unit_id, statement_month);
CREATE INDEX commission_entries_user_idx ON commission_entries (beneficiary_user_id, statement_month);
