-- +goose Up
-- PostgreSQL's 00017 stops announcing inserts into releases (see 00004).
-- The migration is here to keep both dialects' versions in step.
SELECT 1;

-- +goose Down
SELECT 1;
