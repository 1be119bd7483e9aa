-- +goose Up
-- A chat message that may be in Slack although its ts was never recorded:
-- a sender died holding its claim, or a post failed without saying whether
-- Slack took it (a timeout, a 5xx). Before posting it again, the sender
-- looks for that copy (Slack message metadata names the entry).
ALTER TABLE chat_outbox ADD COLUMN maybe_sent BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE chat_outbox DROP COLUMN maybe_sent;
