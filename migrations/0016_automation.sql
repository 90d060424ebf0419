-- Events from the shop, the triggers (automations) they drive and the revenue they bring
-- (docs/automations.md).

-- ---- events ----
-- A resent event (same idempotency key) is stored once. received_at is when mailcast took it
-- (occurred_at is the shop's word). handled: the automation pass has applied it to the
-- triggers (entry, exit, a newer cart); the partial index holds only the events it has still
-- to read. Events stored before this migration count as handled: no trigger existed for them.
ALTER TABLE events ADD COLUMN idempotency_key text
    CHECK (length(idempotency_key) BETWEEN 1 AND 200);
ALTER TABLE events ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE events ADD COLUMN handled boolean NOT NULL DEFAULT true;
ALTER TABLE events ALTER COLUMN handled SET DEFAULT false;
CREATE UNIQUE INDEX events_idempotency_key ON events (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_unhandled_idx ON events (id) WHERE NOT handled;

-- ---- triggers ----
-- A trigger's current definition (the accepted body, normalized) and its version; every version
-- a subscriber may still be on is kept in trigger_versions, so that editing a trigger leaves the
-- subscribers in flight on the steps they entered with. entry_event, entry_list_id and
-- entry_date_attribute repeat the entry of the current definition for the lookups of the
-- automation pass.
CREATE TABLE triggers (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    enabled              boolean NOT NULL DEFAULT true,
    version              integer NOT NULL DEFAULT 1,
    definition           jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object'),
    entry_kind           text NOT NULL CHECK (entry_kind IN ('event', 'list', 'date')),
    entry_event          text,
    entry_list_id        bigint REFERENCES lists (id) ON DELETE SET NULL,
    entry_date_attribute text,
    -- list and date entries: up to when memberships and dates have been looked at
    entry_checked_at     timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX triggers_entry_event_idx ON triggers (entry_event) WHERE entry_event IS NOT NULL;

CREATE TABLE trigger_versions (
    trigger_id bigint NOT NULL REFERENCES triggers (id) ON DELETE CASCADE,
    version    integer NOT NULL,
    definition jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trigger_id, version)
);

-- One subscriber's way through one trigger: the step it runs next and when. active until it
-- completes (ran its last step), exits (an exit step, a failed check, an exit event) or is
-- cancelled (trigger deleted, subscriber gone). event_id is the entry event the templates see
-- as `event`, replaced by a later event of the same name while the subscriber waits.
CREATE TABLE trigger_enrollments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trigger_id    bigint NOT NULL REFERENCES triggers (id) ON DELETE CASCADE,
    version       integer NOT NULL,
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    event_id      bigint REFERENCES events (id) ON DELETE SET NULL,
    entry_key     text, -- what made a list or date entry, so that it enters once for it
    state         text NOT NULL DEFAULT 'active'
                  CHECK (state IN ('active', 'completed', 'exited', 'cancelled')),
    step          integer NOT NULL DEFAULT 0,
    due_at        timestamptz NOT NULL DEFAULT now(),
    entered_at    timestamptz NOT NULL DEFAULT now(),
    ended_at      timestamptz,
    end_reason    text
);
CREATE INDEX trigger_enrollments_due_idx ON trigger_enrollments (due_at, id) WHERE state = 'active';
-- a subscriber is on a trigger once at a time
CREATE UNIQUE INDEX trigger_enrollments_active_key ON trigger_enrollments (trigger_id, subscriber_id)
    WHERE state = 'active';
CREATE INDEX trigger_enrollments_subscriber_idx ON trigger_enrollments (subscriber_id, trigger_id);
CREATE UNIQUE INDEX trigger_enrollments_entry_key ON trigger_enrollments (trigger_id, subscriber_id, entry_key)
    WHERE entry_key IS NOT NULL;
CREATE INDEX trigger_enrollments_event_idx ON trigger_enrollments (event_id) WHERE event_id IS NOT NULL;

-- Each step an enrollment ran, once: the primary key is what keeps a step from running twice.
CREATE TABLE trigger_step_runs (
    enrollment_id bigint NOT NULL REFERENCES trigger_enrollments (id) ON DELETE CASCADE,
    step          integer NOT NULL,
    outcome       text NOT NULL, -- waited, passed, failed, sent, capped, exited
    message_id    bigint,        -- the message a send step queued
    ran_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (enrollment_id, step)
);

-- A triggered message is a messages row like any other, of kind 'trigger'.
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('campaign', 'transactional', 'system', 'trigger'));
ALTER TABLE messages ADD COLUMN trigger_id bigint REFERENCES triggers (id) ON DELETE SET NULL;
CREATE INDEX messages_trigger_idx ON messages (trigger_id, state) WHERE trigger_id IS NOT NULL;

-- ---- revenue ----
-- One row per order event: its revenue and the message it is attributed to (by a human click,
-- else a human open; NULL: unattributed). message_id has no foreign key: retention may prune
-- the message, and the campaign or trigger stays named.
CREATE TABLE conversions (
    event_id      bigint PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    revenue       numeric(16, 2) NOT NULL DEFAULT 0,
    currency      text,
    occurred_at   timestamptz NOT NULL,
    via           text CHECK (via IN ('click', 'open')),
    message_id    bigint,
    campaign_id   bigint REFERENCES campaigns (id) ON DELETE SET NULL,
    trigger_id    bigint REFERENCES triggers (id) ON DELETE SET NULL
);
CREATE INDEX conversions_campaign_idx ON conversions (campaign_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX conversions_trigger_idx ON conversions (trigger_id) WHERE trigger_id IS NOT NULL;
CREATE INDEX conversions_subscriber_idx ON conversions (subscriber_id);
