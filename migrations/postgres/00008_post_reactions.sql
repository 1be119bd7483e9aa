-- +goose Up
-- Who reacted how on releasebot's sign-off requests. A lead may show
-- approval with several emoji (✅ and 👍): taking one back withdraws the
-- sign-off only when none of them is left, which every replica reads here.
CREATE TABLE post_reactions (
    channel    TEXT     NOT NULL,
    ts         TEXT     NOT NULL,
    user_id    TEXT     NOT NULL,
    emoji      TEXT     NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel, ts, user_id, emoji)
);

-- +goose Down
DROP TABLE post_reactions;
