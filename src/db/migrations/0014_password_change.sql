-- A password someone else chose and handed over (an admin's new staff user, a provisioned customer
-- admin) must be replaced by its owner before anything else: the API refuses every other call until then.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
