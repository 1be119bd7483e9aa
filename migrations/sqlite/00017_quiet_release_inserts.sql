-- +goose Up
-- PostgreSQL's 00017 stops announcing new releases on the change channel,
-- which SQLite does not have (see 00004). The migration is here to keep
-- both dialects' versions in step.
SELECT 1;

-- +goose Down
SELECT 1;
