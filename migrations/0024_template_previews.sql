-- Rendered template previews the dashboard shows in a sandboxed frame: GET /preview/{key} reads
-- one without a session, so the key is the credential. Only its SHA-256 is stored (as with
-- session and API tokens), and each row lives ten minutes; rows past their time are removed
-- whenever a new preview is written.
CREATE TABLE template_previews (
    key_hash bytea PRIMARY KEY,
    html text NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX template_previews_expires ON template_previews (expires_at);
