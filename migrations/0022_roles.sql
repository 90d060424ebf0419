-- Roles of users and API tokens: admin (everything), editor (audience, content, campaigns,
-- automations), viewer (read only). The accounts and tokens that exist keep full access.
ALTER TABLE users ADD COLUMN role text NOT NULL DEFAULT 'admin'
    CHECK (role IN ('admin', 'editor', 'viewer'));
ALTER TABLE api_tokens ADD COLUMN role text NOT NULL DEFAULT 'admin'
    CHECK (role IN ('admin', 'editor', 'viewer'));
