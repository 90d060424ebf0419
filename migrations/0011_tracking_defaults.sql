-- New campaigns track opens and clicks unless told otherwise, as the tools people come from
-- do; campaigns made before tracking existed keep what they had (off), since their mail went
-- out without it.
ALTER TABLE campaigns ALTER COLUMN track_opens SET DEFAULT true;
ALTER TABLE campaigns ALTER COLUMN track_clicks SET DEFAULT true;
