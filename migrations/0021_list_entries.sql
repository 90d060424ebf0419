-- A list trigger looks every few seconds for the memberships its list gained since its last
-- look (confirmed, or joined when there is nothing to confirm). This index answers that look
-- from the newest entries of one list, instead of reading every member of a large list each
-- time.
CREATE INDEX list_subscribers_joined_idx
    ON list_subscribers (list_id, (COALESCE(confirmed_at, created_at)));
