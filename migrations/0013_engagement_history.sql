-- The engagement history and its counts. A worker job moves opens and clicks from
-- engagement_inbox, classified as human or machine (docs/tracking.md, "Human or machine"),
-- into the history and, in the same transaction, into the counts that the analytics read.
-- The counts never read the history, so deleting old history (retention) changes no number.

-- The history: one row per open or click, partitioned by month so that retention drops whole
-- months. The job creates the partitions ahead of time; a row outside them (older data, a
-- clock far off) lands in the default partition. No primary key: nothing looks a row up by
-- id, and a key would have to include occurred_at. subscriber_id and campaign_id are NULL for
-- transactional mail to an address; machine tells a proxy's or scanner's request from a
-- person's, and reason names the rule that decided (empty for a person).
ALTER TABLE message_engagements RENAME TO message_engagements_before_partitions;
CREATE SEQUENCE message_engagements_row_seq;
CREATE TABLE message_engagements (
    id            bigint NOT NULL DEFAULT nextval('message_engagements_row_seq'),
    message_id    bigint NOT NULL,
    campaign_id   bigint,
    subscriber_id bigint REFERENCES subscribers (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('open', 'click')),
    url           text,
    link_id       bigint,
    machine       boolean NOT NULL DEFAULT false,
    reason        text NOT NULL DEFAULT '',
    occurred_at   timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE message_engagements_row_seq OWNED BY message_engagements.id;
CREATE TABLE message_engagements_default PARTITION OF message_engagements DEFAULT;

-- this month, the one before and the next two; the job keeps creating them ahead
DO $$
DECLARE
    m date;
BEGIN
    FOR i IN -1..2 LOOP
        m := (date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => i))::date;
        EXECUTE format('CREATE TABLE %I PARTITION OF message_engagements FOR VALUES FROM (%L) TO (%L)',
                       'message_engagements_' || to_char(m, '"y"YYYY"m"MM'),
                       m::text || ' 00:00:00+00', (m + interval '1 month')::date::text || ' 00:00:00+00');
    END LOOP;
END $$;

INSERT INTO message_engagements (id, message_id, campaign_id, subscriber_id, kind, url, occurred_at)
    SELECT id, message_id, campaign_id, subscriber_id, kind, url, occurred_at
    FROM message_engagements_before_partitions;
SELECT setval('message_engagements_row_seq',
              COALESCE((SELECT max(id) FROM message_engagements_before_partitions), 0) + 1, false);
DROP TABLE message_engagements_before_partitions;

CREATE INDEX message_engagements_subscriber_idx
    ON message_engagements (subscriber_id, kind, occurred_at);
CREATE INDEX message_engagements_campaign_idx
    ON message_engagements (campaign_id, kind, subscriber_id);
CREATE INDEX message_engagements_message_idx ON message_engagements (message_id);

-- A campaign's totals and unique counts (a unique count is messages with at least one, each
-- message being one recipient), by human and machine. Added to by the job in the transaction
-- that moves the events.
CREATE TABLE campaign_engagement_counts (
    campaign_id           bigint PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    opens_human           bigint NOT NULL DEFAULT 0,
    opens_machine         bigint NOT NULL DEFAULT 0,
    clicks_human          bigint NOT NULL DEFAULT 0,
    clicks_machine        bigint NOT NULL DEFAULT 0,
    unique_opens_human    bigint NOT NULL DEFAULT 0,
    unique_opens_machine  bigint NOT NULL DEFAULT 0,
    unique_clicks_human   bigint NOT NULL DEFAULT 0,
    unique_clicks_machine bigint NOT NULL DEFAULT 0
);

-- The same totals per hour (UTC), for charts.
CREATE TABLE campaign_engagement_hours (
    campaign_id    bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    hour           timestamptz NOT NULL,
    opens_human    bigint NOT NULL DEFAULT 0,
    opens_machine  bigint NOT NULL DEFAULT 0,
    clicks_human   bigint NOT NULL DEFAULT 0,
    clicks_machine bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, hour)
);

-- Clicks per tracked link of a campaign: all of them, the human ones, and the messages with a
-- human click on it.
CREATE TABLE campaign_link_counts (
    link_id      bigint PRIMARY KEY REFERENCES tracked_links (id) ON DELETE CASCADE,
    campaign_id  bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    clicks       bigint NOT NULL DEFAULT 0,
    clicks_human bigint NOT NULL DEFAULT 0,
    unique_human bigint NOT NULL DEFAULT 0
);
CREATE INDEX campaign_link_counts_campaign_idx ON campaign_link_counts (campaign_id);

-- The first open and click of each message, human and machine apart: inserting one that is
-- already there does nothing, which is how the job knows a unique count goes up (exactly once,
-- whichever worker gets there first). implied: a human open counted because of a human click.
-- Kept when the history is deleted, so that a later click on an old message is not unique.
CREATE TABLE engagement_firsts (
    message_id  bigint NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('open', 'click')),
    machine     boolean NOT NULL,
    implied     boolean NOT NULL DEFAULT false,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (message_id, kind, machine)
);

-- The first human click of each message on each link, for the per-link unique count.
CREATE TABLE engagement_link_firsts (
    message_id bigint NOT NULL,
    link_id    bigint NOT NULL,
    PRIMARY KEY (message_id, link_id)
);

-- A list's growth per day (UTC): memberships created, memberships ended, members whose address
-- bounced hard (once each). The worker adds each day once it is over (as the memberships stood
-- then); done_through is the last day added (NULL: none yet, the first run adds every day
-- before today). A growth answer reads these days and counts the days after done_through from
-- the memberships themselves.
CREATE TABLE list_growth_days (
    list_id      bigint NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    day          date NOT NULL,
    subscribed   bigint NOT NULL DEFAULT 0,
    unsubscribed bigint NOT NULL DEFAULT 0,
    bounced      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, day)
);
CREATE TABLE list_growth_progress (
    only_row     boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    done_through date
);
INSERT INTO list_growth_progress (done_through) VALUES (NULL);

-- The subscriber's activity timeline reads every bounce of a subscriber by time (through
-- bounces_subscriber_time_idx, made with the bounce rules), and a list's growth the
-- memberships, unsubscribes and bounces of the days not yet added.
CREATE INDEX bounces_created_idx ON bounces (created_at);
CREATE INDEX list_subscribers_created_idx ON list_subscribers (list_id, created_at);
CREATE INDEX list_subscribers_unsubscribed_idx ON list_subscribers (list_id, unsubscribed_at)
    WHERE unsubscribed_at IS NOT NULL;
