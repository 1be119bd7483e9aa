-- +goose Up
-- PostgreSQL's 00004 announces committed changes to releases so that every
-- replica can drop what it keeps in memory. SQLite has no such channel and
-- needs none: one serve process owns a SQLite database and hears of its own
-- writes. The migration is here to keep both dialects' versions in step.
SELECT 1;

-- +goose Down
SELECT 1;
