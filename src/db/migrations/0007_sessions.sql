-- Public API v1: verification sessions, their uploads, per-customer decision rules (versioned),
-- webhooks with a delivery log, idempotency keys and per-customer rate limits.

CREATE TABLE verification_sessions (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  api_key_id text,
  reference_id text NOT NULL,
  checks jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('created', 'collecting', 'processing', 'approved', 'declined', 'review',
    'resubmission_requested', 'expired', 'abandoned')),
  locale text NOT NULL DEFAULT 'vi',
  redirect_url text,
  -- What the integrator declared about the applicant (e.g. the ID number); erased with the session.
  declared jsonb NOT NULL DEFAULT '{}',
  -- SHA-256 of the hosted-capture token; the token itself is only in capture_url.
  capture_token_hash text UNIQUE,
  capture_expires_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  last_activity_at timestamptz NOT NULL,
  submitted_at timestamptz,
  completed_at timestamptz,
  rule_version integer,
  -- Per-check results, decision, reason codes, extracted data, evidence (personal: erased on DELETE).
  result jsonb,
  reasons jsonb NOT NULL DEFAULT '[]',
  subject_ref text,
  face_template_id text,
  review jsonb,
  erased_at timestamptz
);
CREATE INDEX verification_sessions_customer_idx ON verification_sessions (customer_id, created_at DESC, id DESC);
CREATE INDEX verification_sessions_open_idx ON verification_sessions (last_activity_at)
  WHERE status IN ('created', 'collecting');
CREATE INDEX verification_sessions_subject_idx ON verification_sessions (customer_id, subject_ref)
  WHERE status = 'approved';

CREATE TABLE session_uploads (
  session_id text NOT NULL REFERENCES verification_sessions(id) ON DELETE CASCADE,
  slot text NOT NULL CHECK (slot IN ('document_front', 'document_back', 'selfie', 'liveness', 'chip')),
  content bytea NOT NULL,
  content_type text NOT NULL,
  sha256 text NOT NULL,
  meta jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  PRIMARY KEY (session_id, slot)
);

CREATE TABLE decision_rules (
  customer_id text NOT NULL REFERENCES customers(id),
  version integer NOT NULL,
  rules jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text,
  PRIMARY KEY (customer_id, version)
);

CREATE TABLE webhook_endpoints (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  url text NOT NULL,
  events jsonb NOT NULL,
  secret text NOT NULL,
  -- During rotation the previous secret also signs until it expires: two live secrets.
  previous_secret text,
  previous_secret_expires_at timestamptz,
  enabled boolean NOT NULL DEFAULT true,
  disabled_at timestamptz,
  disabled_reason text,
  created_at timestamptz NOT NULL,
  deleted_at timestamptz
);
CREATE INDEX webhook_endpoints_customer_idx ON webhook_endpoints (customer_id) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
  id text PRIMARY KEY,
  endpoint_id text NOT NULL REFERENCES webhook_endpoints(id),
  customer_id text NOT NULL,
  event_id text NOT NULL,
  event_type text NOT NULL,
  payload text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  claimed_until timestamptz,
  last_status_code integer,
  last_error text,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC);

CREATE TABLE webhook_attempts (
  id bigserial PRIMARY KEY,
  delivery_id text NOT NULL REFERENCES webhook_deliveries(id),
  at timestamptz NOT NULL,
  status_code integer,
  error text,
  duration_ms integer NOT NULL
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, at);

CREATE TABLE idempotency_keys (
  customer_id text NOT NULL,
  key text NOT NULL,
  method text NOT NULL,
  route text NOT NULL,
  body_hash text NOT NULL,
  status_code integer,
  content_type text,
  response text,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (customer_id, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

CREATE TABLE customer_rate_limits (
  customer_id text PRIMARY KEY REFERENCES customers(id),
  requests_per_second double precision NOT NULL CHECK (requests_per_second > 0),
  burst integer NOT NULL CHECK (burst > 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
