-- Sessions whose processing job was lost (process killed beyond the queue's retries) are processed
-- once more by the sweep, then sent to review: this counts the sweep's retries.
ALTER TABLE verification_sessions ADD COLUMN processing_retries integer NOT NULL DEFAULT 0;
CREATE INDEX verification_sessions_processing_idx ON verification_sessions (updated_at) WHERE status = 'processing';
