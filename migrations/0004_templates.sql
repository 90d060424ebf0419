-- Templates: the content campaigns, transactional messages and layouts are rendered from.
-- Each is stored as written and compiled on save, so a broken template never lands.
CREATE TABLE templates (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind       text NOT NULL CHECK (kind IN ('campaign', 'layout', 'transactional')),
    subject    text NOT NULL DEFAULT '' CHECK (octet_length(subject) <= 2000),
    body       text NOT NULL CHECK (octet_length(body) <= 1048576),
    text_body  text NOT NULL DEFAULT '' CHECK (octet_length(text_body) <= 1048576),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- layouts and partials are found by name: {{< name}} and {{> name}}
CREATE UNIQUE INDEX templates_layout_name_key ON templates (name) WHERE kind = 'layout';
CREATE INDEX templates_kind_idx ON templates (kind, id);
