-- What comes back after a message leaves: the links of tracked mail, the opens and clicks as
-- they arrive, and where an unsubscribe, bounce or complaint came from.

-- Every http(s) link of a tracked campaign (or transactional template) gets a row when its
-- mail is rendered. A click token names a row here and its message; the redirect goes only to
-- the url stored for the token's campaign or template, so an altered token leads nowhere.
CREATE TABLE tracked_links (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint REFERENCES campaigns (id) ON DELETE CASCADE,
    template_id bigint REFERENCES templates (id) ON DELETE CASCADE,
    url         text NOT NULL CHECK (octet_length(url) BETWEEN 1 AND 8192),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((campaign_id IS NULL) <> (template_id IS NULL))
);
CREATE UNIQUE INDEX tracked_links_campaign_url_idx ON tracked_links (campaign_id, url)
    WHERE campaign_id IS NOT NULL;
CREATE UNIQUE INDEX tracked_links_template_url_idx ON tracked_links (template_id, url)
    WHERE template_id IS NOT NULL;

-- Opens and clicks as the tracking endpoints answered them, written in batches without
-- classification. A job moves them on, classified as human or machine, into the engagement
-- history and its counts; a row stays here until that job has taken it, in the same
-- transaction, so none is counted twice or lost. No foreign keys: the ids come from signed
-- tokens and a message may be pruned by retention before its last click.
CREATE TABLE engagement_inbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at   timestamptz NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('open', 'click')),
    message_id    bigint NOT NULL,
    campaign_id   bigint,          -- NULL for a transactional message
    subscriber_id bigint,          -- NULL for mail to an address
    link_id       bigint,          -- the tracked_links row of a click
    method        text NOT NULL DEFAULT 'GET' CHECK (method IN ('GET', 'HEAD')),
    user_agent    text NOT NULL DEFAULT '',
    client_hint   text             -- the client's address truncated (/24, /48); NULL when
                                   -- [tracking] store_ip is off
);

-- An unsubscribe names the campaign and message whose link (or mailto address) it came from,
-- so that campaigns count their unsubscribes; bounces and complaints mapped back to a message
-- keep its campaign after retention has pruned the message row.
ALTER TABLE consents ADD COLUMN campaign_id bigint;
ALTER TABLE consents ADD COLUMN message_id bigint;
ALTER TABLE consents DROP CONSTRAINT consents_source_check;
ALTER TABLE consents ADD CONSTRAINT consents_source_check
    CHECK (source IN ('api', 'form', 'import', 'preferences', 'mailto', 'complaint', 'bounce'));
CREATE INDEX consents_campaign_idx ON consents (campaign_id, action) WHERE campaign_id IS NOT NULL;

ALTER TABLE bounces DROP CONSTRAINT bounces_kind_check;
ALTER TABLE bounces ADD CONSTRAINT bounces_kind_check CHECK (kind IN ('hard', 'soft', 'complaint'));
ALTER TABLE bounces ADD COLUMN campaign_id bigint;
ALTER TABLE bounces ADD COLUMN source text NOT NULL DEFAULT 'smtp'
    CHECK (source IN ('smtp', 'dsn', 'arf', 'ses', 'sendgrid', 'postmark', 'mailgun', 'api'));
ALTER TABLE bounces ADD COLUMN reason text;
UPDATE bounces b SET campaign_id = m.campaign_id FROM messages m WHERE m.id = b.message_id;
CREATE INDEX bounces_campaign_idx ON bounces (campaign_id, kind) WHERE campaign_id IS NOT NULL;
