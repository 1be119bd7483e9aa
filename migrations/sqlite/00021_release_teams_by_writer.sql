-- +goose Up
-- PostgreSQL's creates list their release's teams themselves and say so
-- in teams_listed, so that its row trigger skips them. SQLite's trigger
-- (00013) is a statement of the same process and stays as it is; the
-- column keeps the two schemas alike.
ALTER TABLE releases ADD COLUMN teams_listed BOOLEAN NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE releases DROP COLUMN teams_listed;
