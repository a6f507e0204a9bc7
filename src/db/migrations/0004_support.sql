-- Support desk (seed §5): hotline/portal/email intake, the request's states, SLA timers, reviews.

CREATE TABLE support_requests (
  id text PRIMARY KEY,
  customer_id text REFERENCES customers(id),
  queue text NOT NULL CHECK (queue IN ('consulting', 'technical')),
  hotline text NOT NULL,
  category text NOT NULL,
  priority text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  channel text NOT NULL CHECK (channel IN ('phone', 'portal', 'email')),
  status text NOT NULL CHECK (status IN ('received', 'in_progress', 'waiting_customer', 'callback_scheduled',
    'resolved', 'awaiting_review', 'reopened', 'closed')),
  subject text NOT NULL,
  description text NOT NULL,
  contact_name text,
  contact_phone text,
  contact_email text,
  verification_session_id text,
  email_message_id text,
  assigned_to text REFERENCES users(id),
  created_by_type text NOT NULL,
  created_by text,
  reopen_count integer NOT NULL DEFAULT 0,
  satisfied boolean,
  sales_lead_unit_id text REFERENCES units(id),
  callback_at timestamptz,
  callback_reminded_at timestamptz,
  received_at timestamptz NOT NULL,
  first_response_at timestamptz,
  first_response_ms bigint,
  resolved_at timestamptz,
  resolution_ms bigint,
  awaiting_review_since timestamptz,
  closed_at timestamptz,
  close_reason text CHECK (close_reason IN ('satisfied', 'auto_closed', 'sales_lead', 'cancelled')),
  -- SLA clock: working milliseconds counted so far, and since when it runs (NULL while paused).
  sla_active_ms bigint NOT NULL DEFAULT 0,
  sla_running_since timestamptz,
  first_response_due_at timestamptz,
  resolution_due_at timestamptz,
  first_response_breached_at timestamptz,
  resolution_breached_at timestamptz,
  updated_at timestamptz NOT NULL
);
CREATE INDEX support_requests_customer_idx ON support_requests (customer_id);
CREATE INDEX support_requests_status_idx ON support_requests (status, queue);
CREATE INDEX support_requests_received_idx ON support_requests (received_at);
CREATE UNIQUE INDEX support_requests_email_msg_idx ON support_requests (email_message_id) WHERE email_message_id IS NOT NULL;

-- Every change: who, when, what, a note. `visibility` separates internal notes from what the customer sees.
CREATE TABLE support_events (
  id bigserial PRIMARY KEY,
  request_id text NOT NULL REFERENCES support_requests(id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
  actor_id text,
  kind text NOT NULL CHECK (kind IN ('created', 'status', 'reply', 'internal_note', 'review', 'notice', 'lead', 'attachment', 'assigned', 'escalation')),
  from_status text,
  to_status text,
  visibility text NOT NULL CHECK (visibility IN ('public', 'internal')),
  body text,
  satisfied boolean
);
CREATE INDEX support_events_request_idx ON support_events (request_id, id);

CREATE TABLE support_attachments (
  id text PRIMARY KEY,
  request_id text NOT NULL REFERENCES support_requests(id) ON DELETE CASCADE,
  filename text NOT NULL,
  content_type text NOT NULL,
  size_bytes integer NOT NULL CHECK (size_bytes > 0 AND size_bytes <= 5242880),
  sha256 text NOT NULL,
  bytes bytea NOT NULL,
  visibility text NOT NULL CHECK (visibility IN ('public', 'internal')),
  uploaded_by_type text NOT NULL,
  uploaded_by text,
  created_at timestamptz NOT NULL
);
CREATE INDEX support_attachments_request_idx ON support_attachments (request_id);

-- Targets in working hours, per queue and priority.
CREATE TABLE support_sla_targets (
  queue text NOT NULL CHECK (queue IN ('consulting', 'technical')),
  priority text NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  first_response_hours numeric NOT NULL CHECK (first_response_hours > 0),
  resolution_hours numeric NOT NULL CHECK (resolution_hours > 0),
  PRIMARY KEY (queue, priority)
);
INSERT INTO support_sla_targets (queue, priority, first_response_hours, resolution_hours) VALUES
  ('technical', 'urgent', 1, 4), ('technical', 'high', 2, 9), ('technical', 'normal', 4, 18), ('technical', 'low', 8, 45),
  ('consulting', 'urgent', 2, 9), ('consulting', 'high', 4, 18), ('consulting', 'normal', 8, 27), ('consulting', 'low', 16, 45);

CREATE TABLE support_settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);
INSERT INTO support_settings (key, value) VALUES
  ('auto_close_working_days', '3'),
  ('callback_reminder_minutes', '30'),
  ('escalation_email', '"support-lead@ekyc.local"');

-- Which queues an agent works; an agent with no rows works both.
CREATE TABLE support_agent_queues (
  user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  queue text NOT NULL CHECK (queue IN ('consulting', 'technical')),
  PRIMARY KEY (user_id, queue)
);
