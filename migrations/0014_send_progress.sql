-- How far each send loop has got in the batch it holds: the id of the last message it may have
-- handed to SMTP. Within a batch messages go out in id order, and this row is committed before
-- the end of a message's data (after which the peer may accept it), so when a loop dies only
-- the messages it leased up to that id are marked possible duplicates as another worker takes
-- them over, not its whole batch. One row per batch (its lease owner) while it is leased.
CREATE TABLE send_progress (
    owner        text PRIMARY KEY,
    handed_until bigint NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
