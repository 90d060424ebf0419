-- A/B tests. A campaign may carry one test: 2 to 4 variants, each overriding any of the
-- subject, the from name and the content; a test share of the audience is split evenly
-- across them when the campaign starts, the rest is held until a winner exists, and the
-- winner's content then goes to the rest (docs/campaigns.md, "A/B tests").
CREATE TABLE campaign_ab_tests (
    campaign_id    bigint PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    -- [{"subject", "from_name", "template_id", "body"}], each key optional: what a variant
    -- leaves out is the campaign's. A variant is named by its index here (0 = "A").
    variants       jsonb NOT NULL CHECK (jsonb_typeof(variants) = 'array'
                                         AND jsonb_array_length(variants) BETWEEN 2 AND 4),
    test_percent   smallint NOT NULL CHECK (test_percent BETWEEN 1 AND 100),
    metric         text NOT NULL CHECK (metric IN ('clicks', 'opens', 'revenue')),
    wait           text NOT NULL,  -- as given ("4h"), for the editor
    wait_seconds   bigint NOT NULL CHECK (wait_seconds > 0),
    winner_mode    text NOT NULL CHECK (winner_mode IN ('auto', 'manual')),
    -- when the last test message ended (sent, failed or cancelled); the wait counts from here
    test_ended_at  timestamptz,
    winner         smallint CHECK (winner BETWEEN 0 AND 3),
    winner_by      text CHECK (winner_by IN ('auto', 'manual')),
    winner_at      timestamptz,
    winner_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    -- the per-variant numbers the winner was chosen on, kept for the report once retention
    -- has deleted the campaign's messages
    decided_on     jsonb,
    CHECK ((winner IS NULL) = (winner_by IS NULL))
);
-- the winner job's look: tests still without a winner
CREATE INDEX campaign_ab_tests_pending_idx ON campaign_ab_tests (campaign_id) WHERE winner IS NULL;

-- The variant a test message was built with (NULL outside a test share). The rest of an A/B
-- campaign is queued with run_at 'infinity' (held: no claim reaches it) until the winner is
-- chosen, and is then built with the winner's content.
ALTER TABLE messages ADD COLUMN ab_variant smallint;
-- per-variant counts, and whether a test message still waits, without reading the held rest
CREATE INDEX messages_ab_variant_idx ON messages (campaign_id, ab_variant, state)
    WHERE ab_variant IS NOT NULL;
