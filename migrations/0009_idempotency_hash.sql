-- A transactional call with an Idempotency-Key keeps the SHA-256 of its canonical request body
-- (the JSON with its keys sorted, no spaces), so that the key used again with another body is
-- refused instead of answering a message that is not the one asked for. Rows queued before
-- this column existed have none and replay as before.
ALTER TABLE messages ADD COLUMN idempotency_hash bytea;
