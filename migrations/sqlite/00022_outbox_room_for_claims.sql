-- +goose Up
-- PostgreSQL's 00022 leaves room on the outbox's pages for the claims'
-- row versions. SQLite writes a changed row in place; the migration is
-- here to keep both dialects' versions in step.
SELECT 1;

-- +goose Down
SELECT 1;
