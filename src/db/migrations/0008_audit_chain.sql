-- Each audit entry carries the hash of the one before it, so an edited or deleted entry breaks the chain.
ALTER TABLE audit_log ADD COLUMN prev_hash text;
ALTER TABLE audit_log ADD COLUMN hash text;
