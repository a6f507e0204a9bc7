-- Trust store for chip passive authentication: CSCA certificates (single uploads or from master
-- lists) and CRLs. Global to the service: installed by MobiFone admins, used for every customer.

CREATE TABLE chip_csca (
  id text PRIMARY KEY,
  fingerprint text NOT NULL UNIQUE,        -- SHA-256 of the DER, hex
  subject text NOT NULL,
  subject_key text NOT NULL,               -- normalised subject name, matched against a signer's issuer
  subject_key_id text,                     -- hex SKI, matched against a signer's AKI
  country text,
  not_before timestamptz NOT NULL,
  not_after timestamptz NOT NULL,
  der_b64 text NOT NULL,
  source text NOT NULL CHECK (source IN ('certificate', 'master_list')),
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chip_csca_subject_key_idx ON chip_csca (subject_key);
CREATE INDEX chip_csca_ski_idx ON chip_csca (subject_key_id);

CREATE TABLE chip_crl (
  id text PRIMARY KEY,
  fingerprint text NOT NULL UNIQUE,
  issuer_key text NOT NULL,
  this_update timestamptz,
  next_update timestamptz,
  der_b64 text NOT NULL,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chip_crl_issuer_idx ON chip_crl (issuer_key);
