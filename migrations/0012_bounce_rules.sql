-- Bounces and complaints from every source (SMTP replies, the bounce mailbox, the providers'
-- webhooks, the API) go through one set of rules: enough hard bounces, or soft bounces within
-- a window, blocklist the address; a complaint unsubscribes it from everything. A bounce is
-- applied once: applied_at is set in the transaction that applied it.
ALTER TABLE bounces ADD COLUMN applied_at timestamptz;
-- what is left to apply: small, since applied rows leave it (existing rows are applied by the
-- first run, so that a subscriber hard-bounced before this change is blocklisted too). A
-- campaign's snapshot also leaves out a subscriber with a hard bounce still waiting here.
CREATE INDEX bounces_unapplied_idx ON bounces (subscriber_id) WHERE applied_at IS NULL;
-- a subscriber's bounces newest first (the API's list), and the counts the rules take
CREATE INDEX bounces_subscriber_time_idx ON bounces (subscriber_id, created_at);
DROP INDEX bounces_subscriber_idx;
-- A report that arrives twice (a webhook retried, a mailbox message seen again) is recorded
-- once: the source's own id of the event, when it has one.
ALTER TABLE bounces ADD COLUMN source_ref text CHECK (octet_length(source_ref) BETWEEN 1 AND 300);
CREATE UNIQUE INDEX bounces_source_ref_key ON bounces (source, source_ref) WHERE source_ref IS NOT NULL;

-- Amazon SNS signing certificates, fetched from their SigningCertURL (an allowed URL only) and
-- kept, so that a notification is checked without a fetch per request; every process shares
-- them.
CREATE TABLE sns_certificates (
    url        text PRIMARY KEY CHECK (octet_length(url) BETWEEN 1 AND 2000),
    pem        text NOT NULL CHECK (octet_length(pem) BETWEEN 1 AND 65536),
    fetched_at timestamptz NOT NULL DEFAULT now()
);
