-- Pacing per destination group (gmail, outlook, yahoo, default and the configured ones), shared
-- by every worker process: the adaptive rate a throttling receiver brought the group down to,
-- the messages it accepted lately (the rate observed when none is configured), and what the
-- slow-down did. Its rate budget lives in relay_rates under "destination:NAME".
CREATE TABLE destination_pacing (
    name                  text PRIMARY KEY,
    -- the limit now, messages per minute; NULL: normal (the configured rate, or none)
    rate_per_minute       double precision,
    -- the rate the slow-down started from, where the steps back up stop when none is configured
    ceiling_per_minute    double precision,
    changed_at            timestamptz NOT NULL DEFAULT now(),
    -- as configured by the last worker that wrote it, for the campaign progress
    configured_per_minute double precision,
    -- messages accepted: in the window that started at window_start, and in the minute before
    window_start          timestamptz NOT NULL DEFAULT now(),
    window_sent           bigint NOT NULL DEFAULT 0,
    prev_sent             bigint NOT NULL DEFAULT 0,
    throttle_replies      bigint NOT NULL DEFAULT 0,
    deferred              bigint NOT NULL DEFAULT 0
);

-- Connection slots per destination group: a worker holds one while its session with messages
-- for the group is open. The lease expires, so that the slots of a killed worker come back.
CREATE TABLE destination_slots (
    name       text NOT NULL,
    slot       integer NOT NULL,
    owner      text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (name, slot)
);

-- What each campaign's messages met per destination group, for its progress.
CREATE TABLE destination_campaign_stats (
    campaign_id      bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    name             text NOT NULL,
    sent             bigint NOT NULL DEFAULT 0,
    throttle_replies bigint NOT NULL DEFAULT 0,
    deferred         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, name)
);
