-- The language a user chose for the dashboard (a catalog code such as en, es, ru); NULL: the
-- browser's. Kept with the user so it follows them from one browser to the next.
ALTER TABLE users ADD COLUMN language text CHECK (language ~ '^[a-z]{2,3}$');
