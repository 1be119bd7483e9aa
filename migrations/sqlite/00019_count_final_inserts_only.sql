-- +goose Up
-- PostgreSQL's 00019 stops its counting trigger from running for releases
-- inserted in an open status. SQLite's insert trigger is one UPDATE that
-- finds no row for them, run in process. The migration is here to keep
-- both dialects' versions in step.
SELECT 1;

-- +goose Down
SELECT 1;
