-- +goose Up
-- Slack takes about one new message a second in a channel. Every sender,
-- in every replica, takes a channel's turn here before it posts there:
-- next_at is when the channel may have its next new message.
CREATE TABLE chat_pacing (
    channel TEXT     PRIMARY KEY,
    next_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE chat_pacing;
