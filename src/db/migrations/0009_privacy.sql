-- Personal-data protection: per-owner data keys (envelope encryption), per-customer retention,
-- consent records per verification session, and the crypto-shredding schedule of terminated customers.

-- One active AES-256 data key per owner (a customer id, or '_system' for the service's own files),
-- stored only wrapped (AES-256-GCM) by a master key. Retired keys still decrypt; destroyed keys
-- (wrapped_key NULL) make everything they encrypted unreadable: crypto-shredding.
CREATE TABLE data_keys (
  id text PRIMARY KEY,
  owner text NOT NULL,
  wrapped_key bytea,
  -- Fingerprint of the master key that wrapped it, so rotation knows what is left to re-wrap.
  master_key_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'retired', 'destroyed')),
  created_at timestamptz NOT NULL,
  rewrapped_at timestamptz,
  destroyed_at timestamptz,
  CHECK ((status = 'destroyed') = (wrapped_key IS NULL))
);
CREATE UNIQUE INDEX data_keys_active_idx ON data_keys (owner) WHERE status = 'active';
CREATE INDEX data_keys_master_idx ON data_keys (master_key_id) WHERE status <> 'destroyed';

-- Per-customer retention overrides; absent → the configured defaults.
CREATE TABLE privacy_settings (
  customer_id text PRIMARY KEY REFERENCES customers(id),
  image_retention_days integer NOT NULL CHECK (image_retention_days BETWEEN 0 AND 3650),
  result_retention_days integer NOT NULL CHECK (result_retention_days BETWEEN 0 AND 3650),
  updated_at timestamptz NOT NULL
);

-- Consent given by the applicant for one session (Decree 13/2023/ND-CP art. 11): which text version,
-- when, from which address. The text itself is versioned by the customer; we keep its hash.
CREATE TABLE consents (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  session_id text NOT NULL,
  purpose text NOT NULL,
  text_version text NOT NULL,
  text_sha256 text,
  granted_at timestamptz NOT NULL,
  ip text,
  withdrawn_at timestamptz
);
CREATE INDEX consents_session_idx ON consents (session_id);
CREATE INDEX consents_customer_idx ON consents (customer_id, granted_at);

-- Terminated customers: their data keys are destroyed once the retention period has passed.
CREATE TABLE privacy_terminations (
  customer_id text PRIMARY KEY REFERENCES customers(id),
  terminated_at timestamptz NOT NULL,
  shred_after timestamptz NOT NULL,
  shredded_at timestamptz
);
