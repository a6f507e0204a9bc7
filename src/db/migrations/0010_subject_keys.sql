-- Per-customer HMAC keys for `subject_ref` (a keyed pseudonym of the ID number: without the key,
-- nobody can brute-force the ID space back from a reference). Each key is sealed under the
-- customer's data key, so crypto-shredding the customer also makes its references unlinkable.
CREATE TABLE subject_keys (
  customer_id text PRIMARY KEY REFERENCES customers(id),
  sealed_key bytea NOT NULL,
  created_at timestamptz NOT NULL
);
