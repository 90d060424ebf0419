-- Searching subscribers by part of their address or name (GET /api/v1/subscribers?query=, the
-- dashboard's search box) reads every row when few rows match: about two seconds on a million
-- subscribers. Trigram indexes (pg_trgm) answer ILIKE '%word%' from the index instead, in about
-- a millisecond. pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, so the
-- database's owner may create it. Where it cannot be created (no CREATE privilege on the
-- database, a server without contrib), search keeps working without the indexes.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'pg_trgm cannot be created (%): searching subscribers reads every row', SQLERRM;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX subscribers_email_trgm_idx ON subscribers USING gin (email gin_trgm_ops);
        CREATE INDEX subscribers_name_trgm_idx ON subscribers USING gin (name gin_trgm_ops);
    END IF;
END
$$;
