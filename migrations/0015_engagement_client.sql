-- The engagement history keeps what the tracking endpoint saw of the client: the request's
-- method, its user agent and the truncated address (NULL with [tracking] store_ip = false),
-- so that an open or click shows why it was judged a person's or a machine's. Rows moved
-- before this have none of them.
ALTER TABLE message_engagements ADD COLUMN method text;
ALTER TABLE message_engagements ADD COLUMN user_agent text;
ALTER TABLE message_engagements ADD COLUMN client_hint text;
