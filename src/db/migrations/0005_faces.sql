-- Face templates (1:N duplicate search per customer) and server-issued liveness challenges.

CREATE TABLE face_templates (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  -- The customer's own reference for the person (e.g. a hash of the ID number), never the image.
  subject_ref text NOT NULL,
  -- 128 float32 values (dlib ResNet descriptor), little-endian.
  descriptor bytea NOT NULL,
  model text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX face_templates_customer_idx ON face_templates (customer_id) WHERE deleted_at IS NULL;

CREATE TABLE liveness_challenges (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers(id),
  api_key_id text,
  actions jsonb NOT NULL,
  nonce text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  live boolean,
  score double precision,
  checks jsonb
);
CREATE INDEX liveness_challenges_customer_idx ON liveness_challenges (customer_id, created_at);

-- Fingerprints of frames already submitted: the same frame sent twice is a replay.
CREATE TABLE liveness_frame_hashes (
  hash text PRIMARY KEY,
  challenge_id text NOT NULL REFERENCES liveness_challenges(id),
  created_at timestamptz NOT NULL
);
