-- Consent of imported memberships: one record per import job and list instead of one `consents`
-- row per imported person. A membership created by an import names its record; together they
-- say when (the membership's created_at), from where (source import, which job) and for which
-- list the person was added. At 1,000,000 rows the per-row consent insert and its key check were
-- a fifth of the import's time.

CREATE TABLE import_consents (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- not foreign keys, as consents.list_id: the record outlives the job's row and the list
    import_id   bigint NOT NULL,
    list_id     bigint NOT NULL,
    action      text NOT NULL CHECK (action IN ('subscribe', 'unsubscribe')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (import_id, list_id)
);

-- Not a foreign key: import_consents rows hold no personal data and are never deleted, and a key
-- check per imported row is the cost this table exists to avoid.
ALTER TABLE list_subscribers ADD COLUMN import_consent_id bigint;
-- the job a consent row of source import came from (see below), as import_consents names it
ALTER TABLE consents ADD COLUMN import_id bigint;

-- A membership carries its import consent only while it exists. When it goes (removed from the
-- list, or the list deleted) while the person stays, the consent is written out as a `consents`
-- row, so the record of the person's consent never disappears with the membership. When the
-- person is deleted (erasure), nothing is kept.
CREATE FUNCTION mc_keep_import_consent() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO consents (subscriber_id, list_id, action, source, import_id, created_at)
    SELECT o.subscriber_id, o.list_id, c.action, 'import', c.import_id, o.created_at
    FROM old_memberships o JOIN import_consents c ON c.id = o.import_consent_id
    WHERE EXISTS (SELECT 1 FROM subscribers s WHERE s.id = o.subscriber_id)
    ORDER BY o.created_at, o.list_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER list_subscribers_keep_import_consent
    AFTER DELETE ON list_subscribers REFERENCING OLD TABLE AS old_memberships
    FOR EACH STATEMENT EXECUTE FUNCTION mc_keep_import_consent();
