-- +goose Up
-- CI opens releases; artifacts are pinned (issue 14).
--
-- A release may name the artifact it ships; sign-offs record which digest
-- they approved. Both are written once and never changed.
ALTER TABLE releases ADD COLUMN digest TEXT NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN commit_sha TEXT NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN build_url TEXT NOT NULL DEFAULT '';
ALTER TABLE signoffs ADD COLUMN digest TEXT NOT NULL DEFAULT '';

-- A CI create may carry an idempotency key: one creator's key names one
-- release, so a retried POST /api/releases gets that release back, even
-- when two retries race.
ALTER TABLE releases ADD COLUMN idempotency_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX releases_idempotency_key ON releases (created_by, idempotency_key)
    WHERE idempotency_key <> '';

-- Scoped API tokens: only the SHA-256 of each token is kept, so the
-- database can't give a token away. A revoked token stays listed.
CREATE TABLE api_tokens (
    name         TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE, -- hex SHA-256 of the whole token
    services     TEXT NOT NULL,        -- JSON array of service names
    created_at   DATETIME NOT NULL,
    revoked_at   DATETIME,
    last_used_at DATETIME
);

-- +goose Down
DROP TABLE api_tokens;
DROP INDEX releases_idempotency_key;
ALTER TABLE releases DROP COLUMN idempotency_key;
ALTER TABLE signoffs DROP COLUMN digest;
ALTER TABLE releases DROP COLUMN build_url;
ALTER TABLE releases DROP COLUMN commit_sha;
ALTER TABLE releases DROP COLUMN digest;
