-- A subscriber-level unsubscribe: "unsubscribed" is set by the one-click unsubscribe of
-- List-Unsubscribe and by the preferences page's "unsubscribe from every list", and keeps the
-- address out of every campaign, whichever lists or segments it targets. A later subscription
-- the person makes themselves (the public form, a confirmed double opt-in, the preferences
-- page) or an explicit change through the API makes the subscriber active again; each change
-- leaves a consents row without a list.
ALTER TABLE subscribers DROP CONSTRAINT subscribers_status_check;
ALTER TABLE subscribers ADD CONSTRAINT subscribers_status_check
    CHECK (status IN ('active', 'unsubscribed', 'blocklisted'));
