-- Outgoing webhooks (docs/automations.md, "Webhooks"): the subscriptions, one delivery per
-- subscription and thing that happened, the log of every attempt, and how far the fan-out has
-- read each source table.

-- A subscription. subscribed_at is when it last started wanting its events (created, enabled
-- again, events changed): it receives what happened from then on, never older history.
CREATE TABLE webhooks (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url           text NOT NULL CHECK (octet_length(url) BETWEEN 1 AND 2048),
    events        text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 20),
    secret        text NOT NULL CHECK (octet_length(secret) BETWEEN 16 AND 200),
    enabled       boolean NOT NULL DEFAULT true,
    subscribed_at timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- One thing that happened, for one webhook. event_key names what happened
-- ("message.sent:123"), so that the fan-out, which reads a source row more than once, delivers
-- it once per webhook. States: pending -> delivering (leased by a worker's delivery thread)
-- -> delivered | pending again (a failed attempt, at next_attempt_at) | failed (retried for
-- [webhooks] retry_hours); a lease that ran out makes the delivery due again.
CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id       bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event            text NOT NULL,
    event_key        text NOT NULL,
    payload          jsonb NOT NULL,
    occurred_at      timestamptz NOT NULL,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,
    lease_expires_at timestamptz,
    last_status      integer,
    last_error       text,
    last_duration_ms integer,
    last_attempt_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);
-- event_key first: the fan-out asks whether a key was delivered to anyone yet
CREATE UNIQUE INDEX webhook_deliveries_key ON webhook_deliveries (event_key, webhook_id);
-- the claim: due deliveries of one webhook, oldest first; small, since finished rows leave it
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (webhook_id, next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_leased_idx ON webhook_deliveries (webhook_id, lease_expires_at)
    WHERE state = 'delivering';
-- the log's retention ([webhooks] log_days): finished deliveries by age
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (created_at)
    WHERE state IN ('delivered', 'failed');
-- a webhook's log, newest first
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);

-- Every attempt of a delivery: the answer's status (NULL: no answer), or what went wrong.
CREATE TABLE webhook_attempts (
    delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    status      integer,
    error       text,
    duration_ms integer NOT NULL,
    started_at  timestamptz NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- How far the fan-out has read each source ('subscribers', 'consents', 'messages', 'bounces',
-- 'engagements', 'campaigns'): every row up to scanned_until has been seen (rows committed
-- later with an older time are covered by the horizon the fan-out keeps, docs/automations.md).
CREATE TABLE webhook_cursors (
    source        text PRIMARY KEY,
    scanned_until timestamptz NOT NULL
);

-- The fan-out reads its sources by time. Unsubscribes and finished campaigns are few: partial
-- indexes. Opens and clicks are written by the worker's move from the inbox, in time order
-- within each month: a BRIN index costs that move next to nothing (the tracking endpoints
-- themselves write only the inbox).
CREATE INDEX consents_unsubscribe_time_idx ON consents (created_at) WHERE action = 'unsubscribe';
CREATE INDEX campaign_transitions_finish_idx ON campaign_transitions (created_at)
    WHERE action = 'finish';
CREATE INDEX message_engagements_time_brin ON message_engagements USING brin (occurred_at);
