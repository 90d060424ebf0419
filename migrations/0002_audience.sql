-- The audience: subscribers, lists and memberships, segments, consent, suppression, the events
-- and engagement rows segment rules read, CSV imports, and the public forms' rate limit.
-- Designed for 1,000,000 subscribers: keyset pages walk the primary key, email lookups use
-- lower(email), attribute equality uses the GIN index through jsonb containment.

CREATE TABLE subscribers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL CHECK (octet_length(email) BETWEEN 3 AND 254),
    name        text NOT NULL DEFAULT '' CHECK (length(name) <= 500),
    attributes  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocklisted')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX subscribers_email_key ON subscribers (lower(email));
-- jsonb_path_ops: smaller and faster for the @> containment that equality rules compile to
CREATE INDEX subscribers_attributes_idx ON subscribers USING gin (attributes jsonb_path_ops);
CREATE INDEX subscribers_created_at_idx ON subscribers (created_at);
-- few rows are blocklisted: a partial index finds them without weighing on inserts
CREATE INDEX subscribers_blocklisted_idx ON subscribers (id) WHERE status = 'blocklisted';

CREATE TABLE lists (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    visibility  text NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),
    optin       text NOT NULL DEFAULT 'single' CHECK (optin IN ('single', 'double')),
    tags        text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Membership of a subscriber in a list, with its own status and when it last changed.
CREATE TABLE list_subscribers (
    list_id         bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    subscriber_id   bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    status          text NOT NULL CHECK (status IN ('unconfirmed', 'confirmed', 'unsubscribed')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    confirmed_at    timestamptz,
    unsubscribed_at timestamptz,
    PRIMARY KEY (list_id, subscriber_id)
);
CREATE INDEX list_subscribers_subscriber_idx ON list_subscribers (subscriber_id);
CREATE INDEX list_subscribers_status_idx ON list_subscribers (list_id, status, subscriber_id);

-- A saved rule tree (see docs/audience.md); compiled to SQL each time it is used.
CREATE TABLE segments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    rule        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Erased or otherwise refused addresses: only HMAC-SHA256(server secret, lower(email)) is kept,
-- so the table says "this address may not come back" without saying which address it was.
CREATE TABLE suppressions (
    email_hash  bytea PRIMARY KEY CHECK (octet_length(email_hash) = 32),
    reason      text NOT NULL CHECK (reason IN ('erased', 'complaint', 'manual')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Proof of consent: when, from where and for which list a subscriber agreed (or withdrew).
-- Deleted with the subscriber: an erased person leaves no personal data behind. list_id is
-- not a foreign key on purpose: the record keeps naming the list after the list is deleted,
-- and imports skip one key check per row.
CREATE TABLE consents (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    list_id       bigint,
    action        text NOT NULL CHECK (action IN ('subscribe', 'confirm', 'unsubscribe')),
    source        text NOT NULL CHECK (source IN ('api', 'form', 'import', 'preferences')),
    remote_addr   text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consents_subscriber_idx ON consents (subscriber_id);

-- Named things a subscriber did, sent by the automation issue's event API. Segment rules count
-- them by name within a time window, with conditions on their properties.
CREATE TABLE events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    properties    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(properties) = 'object'),
    occurred_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_subscriber_name_idx ON events (subscriber_id, name, occurred_at);
CREATE INDEX events_name_idx ON events (name, occurred_at);

-- Opens and clicks, filled by the tracking issue. message_id is the stable id of the message
-- row the tracking token names (the messages table comes with the delivery issue, hence no
-- foreign key yet); campaign_id is copied from it so segment rules need no join.
CREATE TABLE message_engagements (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id    bigint NOT NULL,
    campaign_id   bigint NOT NULL,
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('open', 'click')),
    url           text,
    occurred_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_engagements_subscriber_idx
    ON message_engagements (subscriber_id, kind, occurred_at);
CREATE INDEX message_engagements_campaign_idx
    ON message_engagements (campaign_id, kind, subscriber_id);
CREATE INDEX message_engagements_message_idx ON message_engagements (message_id);

-- CSV imports: a named state per job so none is lost across restarts.
-- queued -> running -> finished | failed; a running job whose worker stopped is resumed.
CREATE TABLE imports (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state        text NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'running', 'finished', 'failed')),
    file_path    text NOT NULL,
    file_name    text NOT NULL DEFAULT '',
    options      jsonb NOT NULL,
    rows_total   bigint NOT NULL DEFAULT 0,
    rows_done    bigint NOT NULL DEFAULT 0,
    rows_failed  bigint NOT NULL DEFAULT 0,
    resume_row   bigint NOT NULL DEFAULT 0, -- rows up to here are merged: a restart goes on after
    failure      text,
    attempts     integer NOT NULL DEFAULT 0,
    locked_by    text,
    heartbeat_at timestamptz,
    created_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    finished_at  timestamptz
);
CREATE INDEX imports_pending_idx ON imports (id) WHERE state IN ('queued', 'running');

CREATE TABLE import_errors (
    import_id  bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_number bigint NOT NULL,
    message    text NOT NULL,
    PRIMARY KEY (import_id, row_number)
);

-- Confirmation messages of double opt-in waiting for the delivery path.
CREATE TABLE optin_requests (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    list_ids      bigint[] NOT NULL,
    state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz
);
CREATE INDEX optin_requests_queued_idx ON optin_requests (id) WHERE state = 'queued';

-- Public form submissions by key (address hash, client address), for the per-address limit.
CREATE TABLE form_attempts (
    key          text NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX form_attempts_key_idx ON form_attempts (key, attempted_at);

-- Reads text as a timestamp for segment rules on attributes, where any JSON string may be
-- found: NULL when it is not an RFC 3339 date or date-time; a value without an offset is UTC,
-- so the answer never depends on the session's time zone.
CREATE FUNCTION mc_try_timestamptz(t text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    IF t !~ '^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?)?$' THEN
        RETURN NULL;
    END IF;
    IF t ~ '([Zz]|[+-]\d{2}:\d{2})$' THEN
        RETURN t::timestamptz;
    END IF;
    RETURN t::timestamp AT TIME ZONE 'UTC';
EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
    RETURN NULL;
END
$$;

-- Merges JSON objects in the aggregate's order, later keys winning (the || operator as an
-- aggregate): imports fold the rows of one address this way.
CREATE AGGREGATE mc_jsonb_merge(jsonb) (SFUNC = jsonb_concat, STYPE = jsonb, INITCOND = '{}');
