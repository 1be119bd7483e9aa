-- +goose Up
-- The pending chat messages in the order they were queued: a sender's
-- claim walks them from the oldest and stops at the first heads it can
-- send, instead of grouping every pending message by queue to find the
-- heads (under a backlog of thousands, each claim read them all).
CREATE INDEX chat_outbox_pending_id ON chat_outbox (id) WHERE status = 'pending';

-- +goose Down
DROP INDEX chat_outbox_pending_id;
