-- A campaign snapshot inserts up to millions of messages in one statement. Each foreign key
-- of messages costs a trigger call per inserted row, even for a NULL, and the four of them
-- took about half of the time of a snapshot. They are replaced by statement-level triggers on
-- the referenced tables that do what their ON DELETE did, once per deleting statement.
ALTER TABLE messages
    DROP CONSTRAINT messages_campaign_id_fkey,
    DROP CONSTRAINT messages_test_of_fkey,
    DROP CONSTRAINT messages_subscriber_id_fkey,
    DROP CONSTRAINT messages_template_id_fkey;

-- The claim reads claimable rows in order from one of two partial indexes: mail outside
-- campaigns by priority, and each campaign's own rows. With one index for all, a claim walked
-- over every row of a paused campaign (or one outside its sending window) queued before the
-- rows it could send.
DROP INDEX messages_claimable_idx;
CREATE INDEX messages_claimable_idx ON messages (priority, run_at, id)
    WHERE state IN ('queued', 'deferred') AND campaign_id IS NULL;
CREATE INDEX messages_claimable_campaign_idx ON messages (campaign_id, run_at, id)
    WHERE state IN ('queued', 'deferred') AND campaign_id IS NOT NULL;

-- the triggers below find rows by these; partial, so that campaign rows (NULL in both) cost
-- nothing here
CREATE INDEX messages_test_of_idx ON messages (test_of) WHERE test_of IS NOT NULL;
CREATE INDEX messages_template_idx ON messages (template_id) WHERE template_id IS NOT NULL;

-- The lock that keeps a snapshot and a deletion of subscribers apart: a snapshot holds it
-- shared while it inserts, a deletion takes it exclusively before it removes the messages of
-- the people it deleted, so that it waits for a snapshot in progress and then sees its rows.
-- Without it a snapshot that read a subscriber just before their erasure could leave a
-- message addressed to them behind.
CREATE FUNCTION audience_lock_key() RETURNS bigint LANGUAGE sql IMMUTABLE
    AS 'SELECT 1835232618::bigint';

CREATE FUNCTION messages_of_deleted_subscribers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(audience_lock_key());
    DELETE FROM messages m USING gone g WHERE m.subscriber_id = g.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER subscribers_delete_messages AFTER DELETE ON subscribers
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION messages_of_deleted_subscribers();

-- A campaign cannot be deleted while it runs or is paused, and a snapshot holds the
-- campaign's row lock, so no snapshot can race with this one.
CREATE FUNCTION messages_of_deleted_campaigns() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM messages m USING gone g WHERE m.campaign_id = g.id;
    DELETE FROM messages m USING gone g WHERE m.test_of = g.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER campaigns_delete_messages AFTER DELETE ON campaigns
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION messages_of_deleted_campaigns();

-- a message keeps its row when its template goes, as the send history
CREATE FUNCTION messages_of_deleted_templates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE messages m SET template_id = NULL FROM gone g WHERE m.template_id = g.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER templates_delete_messages AFTER DELETE ON templates
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION messages_of_deleted_templates();
