-- A session's usage events (one per check, id `<session id>.<check>.<submission ms>`) name their
-- session in a column, for billing detail and the data-subject views. Derived from the event id, so
-- no writer changes and the two can never disagree; single calls have none.
ALTER TABLE usage_events ADD COLUMN session_id text
  GENERATED ALWAYS AS (CASE WHEN request_id LIKE 'ses\_%' THEN split_part(request_id, '.', 1) END) STORED;
CREATE INDEX usage_events_session_idx ON usage_events (session_id) WHERE session_id IS NOT NULL;
