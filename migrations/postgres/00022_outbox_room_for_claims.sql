-- +goose Up
-- A sender's claim of a chat message changes only claimed_until and
-- maybe_sent, which no index holds, so PostgreSQL could keep the new row
-- version on the message's own page (a HOT update) without new entries in
-- the outbox's four indexes. Pages packed full by the inserts (bodies of
-- about a kilobyte) left no room for it: nearly every claim wrote four
-- index entries. New pages of the outbox are now filled to half, the
-- rest kept for the claims' versions. (Existing pages keep their fill.)
ALTER TABLE chat_outbox SET (fillfactor = 50);

-- +goose Down
ALTER TABLE chat_outbox RESET (fillfactor);
