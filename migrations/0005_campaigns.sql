-- Campaigns, their lifecycle log, the message queue every outgoing message goes through, the
-- relays' shared rate state and bounces. Designed for the whole delivery path (docs/campaigns.md
-- and docs/operations.md say which tables grow and how they are pruned).

-- A campaign: content, audience, delivery settings and its state.
-- draft -> scheduled -> running <-> paused -> finished; cancelled from any state before finished.
CREATE TABLE campaigns (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    state            text NOT NULL DEFAULT 'draft'
                     CHECK (state IN ('draft', 'scheduled', 'running', 'paused', 'finished',
                                      'cancelled')),
    subject          text NOT NULL CHECK (octet_length(subject) BETWEEN 1 AND 2000),
    from_email       text NOT NULL CHECK (octet_length(from_email) BETWEEN 3 AND 254),
    from_name        text NOT NULL DEFAULT '' CHECK (length(from_name) <= 200),
    reply_to         text NOT NULL DEFAULT '' CHECK (octet_length(reply_to) <= 254),
    -- the content: a stored template, or a body of its own (exactly one of them)
    template_id      bigint REFERENCES templates (id) ON DELETE RESTRICT,
    body             text CHECK (octet_length(body) <= 1048576),
    lists            bigint[] NOT NULL DEFAULT '{}',
    segments         bigint[] NOT NULL DEFAULT '{}',
    exclude_lists    bigint[] NOT NULL DEFAULT '{}',
    exclude_segments bigint[] NOT NULL DEFAULT '{}',
    relay            text NOT NULL DEFAULT '' CHECK (length(relay) <= 200), -- '' = default
    send_at          timestamptz,
    timezone         text NOT NULL DEFAULT 'UTC' CHECK (length(timezone) BETWEEN 1 AND 100),
    tags             text[] NOT NULL DEFAULT '{}',
    headers          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(headers) = 'object'),
    track_opens      boolean NOT NULL DEFAULT false,
    track_clicks     boolean NOT NULL DEFAULT false,
    utm              jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(utm) = 'object'),
    -- a campaign may go slower than its relay; NULL = as fast as the relay allows
    rate_per_s       integer CHECK (rate_per_s > 0),
    -- sending window in the campaign's time zone; both NULL = any time
    window_start     time,
    window_end       time,
    total            bigint NOT NULL DEFAULT 0, -- recipients queued when it started
    created_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    CHECK ((template_id IS NULL) <> (body IS NULL)),
    CHECK ((window_start IS NULL) = (window_end IS NULL))
);
-- the scheduler's scan: scheduled campaigns whose time has come
CREATE INDEX campaigns_scheduled_idx ON campaigns (send_at) WHERE state = 'scheduled';
-- workers look up the campaigns that have work
CREATE INDEX campaigns_active_idx ON campaigns (id) WHERE state IN ('running', 'paused');

-- Every state change is a named transition: which, who, when, from, to. One row per change.
CREATE TABLE campaign_transitions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    action      text NOT NULL CHECK (action IN ('schedule', 'send', 'start', 'pause', 'resume',
                                                'cancel', 'finish')),
    from_state  text NOT NULL,
    to_state    text NOT NULL,
    user_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    token_id    bigint REFERENCES api_tokens (id) ON DELETE SET NULL,
    actor       text NOT NULL DEFAULT 'api' CHECK (actor IN ('api', 'scheduler', 'worker')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaign_transitions_campaign_idx ON campaign_transitions (campaign_id, id);

-- The queue: one row per message to one address. id is stable: tracking tokens, bounces and
-- the Message-ID point to it. States: queued -> sending -> sent | deferred | failed, deferred
-- -> sending again at run_at; cancelled for rows of a cancelled campaign never handed to SMTP.
-- Lower priority values go first: system 0, transactional 10, campaign 100.
CREATE TABLE messages (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('campaign', 'transactional', 'system')),
    priority           smallint NOT NULL DEFAULT 100,
    campaign_id        bigint REFERENCES campaigns (id) ON DELETE CASCADE,
    -- a test send of this campaign (POST .../test): rendered from it, outside its audience
    test_of            bigint REFERENCES campaigns (id) ON DELETE CASCADE,
    -- an erased person's rows go with them: the queue keeps no address of someone erased
    subscriber_id      bigint REFERENCES subscribers (id) ON DELETE CASCADE,
    template_id        bigint REFERENCES templates (id) ON DELETE SET NULL,
    email              text NOT NULL CHECK (octet_length(email) BETWEEN 3 AND 254),
    data               jsonb CHECK (data IS NULL OR jsonb_typeof(data) = 'object'),
    subject            text, -- transactional override
    state              text NOT NULL DEFAULT 'queued'
                       CHECK (state IN ('queued', 'sending', 'sent', 'deferred', 'failed',
                                        'cancelled')),
    attempts           integer NOT NULL DEFAULT 0,
    run_at             timestamptz NOT NULL DEFAULT now(),
    lease_owner        text,
    lease_expires_at   timestamptz,
    relay              text,
    smtp_code          integer,
    smtp_enhanced      text,
    smtp_text          text,
    reason             text, -- why it failed or was cancelled, in words
    possible_duplicate boolean NOT NULL DEFAULT false,
    idempotency_key    text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    sent_at            timestamptz,
    UNIQUE (campaign_id, subscriber_id)
);
-- the claim: claimable rows by priority then due time; small, since sent rows leave it
CREATE INDEX messages_claimable_idx ON messages (priority, run_at, id)
    WHERE state IN ('queued', 'deferred');
-- transactional calls retried with the same Idempotency-Key; partial, so that campaign rows
-- (which never have one) cost nothing here
CREATE UNIQUE INDEX messages_idempotency_key ON messages (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- reclaiming expired leases
CREATE INDEX messages_leased_idx ON messages (lease_expires_at) WHERE state = 'sending';
-- progress counts and cancel
CREATE INDEX messages_campaign_state_idx ON messages (campaign_id, state) WHERE campaign_id IS NOT NULL;
CREATE INDEX messages_subscriber_idx ON messages (subscriber_id);

-- Shared rate state per relay, so that every worker process together keeps to the relay's
-- limits: a token bucket for messages per second and counters for the hour and the day.
CREATE TABLE relay_rates (
    relay       text PRIMARY KEY,
    tokens      double precision NOT NULL DEFAULT 0,
    refilled_at timestamptz NOT NULL DEFAULT now(),
    hour_start  timestamptz NOT NULL DEFAULT date_trunc('hour', now()),
    hour_count  bigint NOT NULL DEFAULT 0,
    day_start   timestamptz NOT NULL DEFAULT date_trunc('day', now()),
    day_count   bigint NOT NULL DEFAULT 0
);

-- Bounces: permanent SMTP refusals (hard) and asynchronous bounce reports. A hard bounce keeps
-- the address out of later campaigns.
CREATE TABLE bounces (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    message_id    bigint REFERENCES messages (id) ON DELETE SET NULL,
    kind          text NOT NULL CHECK (kind IN ('hard', 'soft')),
    smtp_code     integer,
    smtp_text     text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bounces_subscriber_idx ON bounces (subscriber_id) WHERE kind = 'hard';
