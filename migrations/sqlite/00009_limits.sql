-- +goose Up
-- One person can't flood the bot (issue 10, finding 7).
--
-- Each queued chat message names the creator of its release, so that a
-- paced channel serves creators in turn: another person's sign-off request
-- goes out within seconds, not behind one person's whole backlog.
ALTER TABLE chat_outbox ADD COLUMN creator TEXT NOT NULL DEFAULT '';

-- When each creator last had a new message in each channel: the paced
-- claim picks the creator served least recently.
CREATE TABLE chat_turns (
    channel   TEXT NOT NULL,
    creator   TEXT NOT NULL,
    served_at DATETIME NOT NULL,
    PRIMARY KEY (channel, creator)
);

-- The create quota counts a person's releases of the last hour; the expiry
-- finds releases awaiting sign-off since before a cutoff.
CREATE INDEX releases_created_by_at ON releases (created_by, created_at);
CREATE INDEX releases_status_created ON releases (status, created_at);

-- +goose Down
DROP INDEX releases_status_created;
DROP INDEX releases_created_by_at;
DROP TABLE chat_turns;
ALTER TABLE chat_outbox DROP COLUMN creator;
