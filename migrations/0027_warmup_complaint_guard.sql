-- Warm-up schedules ([warmup.NAME]) and the complaint guard ([deliverability] complaint_*).

-- The first day of a schedule that has no configured start: the UTC day it first let a message
-- through, recorded once so that every worker counts the same day number.
CREATE TABLE warmup_starts (
    name text PRIMARY KEY,
    first_day date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- What each schedule let through per UTC day: the shared cap that every worker takes from
-- under the row's lock.
CREATE TABLE warmup_days (
    name text NOT NULL,
    day date NOT NULL,
    sent integer NOT NULL DEFAULT 0,
    PRIMARY KEY (name, day)
);

-- A message over its schedule's cap waits for the next UTC day: held_by names the schedule
-- while it waits (start-up makes such messages due again, so that a changed schedule applies
-- at once), and held_seconds adds the time it was held to its age limit ([queue]
-- max_age_hours), so that a warm-up never makes a message too old to retry.
ALTER TABLE messages ADD COLUMN held_by text, ADD COLUMN held_seconds integer NOT NULL DEFAULT 0;
CREATE INDEX messages_held_idx ON messages (id) WHERE held_by IS NOT NULL;

-- Why a campaign is paused (a JSON object with "code" and "message"; NULL for a pause asked
-- for by a person), and the complaint rates at which a person resumed it against the guard:
-- the guard pauses it again only above those.
ALTER TABLE campaigns ADD COLUMN paused_reason jsonb,
    ADD COLUMN complaint_override_campaign float8,
    ADD COLUMN complaint_override_domain float8;
ALTER TABLE campaign_transitions ADD COLUMN reason jsonb;

-- The newest complaint, read every second by the guard to see whether anything changed.
CREATE INDEX bounces_complaint_id_idx ON bounces (id) WHERE kind = 'complaint';

-- Where the guard's last look got to: the newest complaint it had seen and when it looked.
CREATE TABLE complaint_guard_state (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    checked_until bigint NOT NULL DEFAULT 0,
    checked_at timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO complaint_guard_state DEFAULT VALUES;

-- The guard pauses under a name of its own in the campaign's log.
ALTER TABLE campaign_transitions DROP CONSTRAINT campaign_transitions_actor_check,
    ADD CONSTRAINT campaign_transitions_actor_check
        CHECK (actor IN ('api', 'scheduler', 'worker', 'complaint guard'));
