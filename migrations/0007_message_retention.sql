-- Retention of the queue: with [queue] retention_days set, the worker deletes messages that
-- ended (sent, failed, cancelled) once their campaign ended that many days ago, and
-- transactional, system and test messages that many days after their last change. A campaign
-- keeps its counts, so its progress outlives its messages (docs/operations.md).

-- A campaign's counts by final state, stored in the statement that finishes it or in the
-- transaction that cancels it; NULL until then. cancelled_count takes every message neither
-- sent nor failed: after a cancel no other can be sent. messages_pruned_at is when retention
-- deleted the last of its messages; pruning looks only at ended campaigns without it.
ALTER TABLE campaigns
    ADD COLUMN sent_count         bigint,
    ADD COLUMN failed_count       bigint,
    ADD COLUMN cancelled_count    bigint,
    ADD COLUMN messages_pruned_at timestamptz;

UPDATE campaigns c SET (sent_count, failed_count, cancelled_count) =
    (SELECT count(*) FILTER (WHERE m.state = 'sent'), count(*) FILTER (WHERE m.state = 'failed'),
            count(*) FILTER (WHERE m.state NOT IN ('sent', 'failed'))
     FROM messages m WHERE m.campaign_id = c.id)
    WHERE c.state IN ('finished', 'cancelled');

-- the ended campaigns whose messages are still there, oldest first
CREATE INDEX campaigns_prunable_idx ON campaigns (finished_at)
    WHERE state IN ('finished', 'cancelled') AND messages_pruned_at IS NULL;

-- Messages that ended, by campaign (NULL last: transactional, system and test) and age, so that
-- each deletion reads its chunk in index order and stops there. Partial: a campaign snapshot
-- inserts queued rows, which have no entry here, so it costs the snapshot nothing; a message
-- gets its entry when it ends.
CREATE INDEX messages_ended_idx ON messages (campaign_id, updated_at)
    WHERE state IN ('sent', 'failed', 'cancelled');

-- Deleting a message sets bounces.message_id to NULL (the bounce stays with its subscriber):
-- without this index every deleted message would read the whole bounces table.
CREATE INDEX bounces_message_idx ON bounces (message_id) WHERE message_id IS NOT NULL;
