-- +goose Up
-- The audit events' hash chain (README "Audit chain"). A sealer, one at a
-- time across replicas, gives each committed event the next seq and
-- prev_hash/hash; events stay NULL until then, so appends never hash or
-- wait for each other. The chain's order is seq: the order of sealing, not
-- of ids, which a sequence may commit out of order. The unique seq keeps
-- two sealers from forking the chain even if their lock failed. Only
-- audit_events_unsealed takes an entry when an event is appended: the
-- other two indexes hold sealed events only.
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq) WHERE seq IS NOT NULL;
CREATE INDEX audit_events_unsealed ON audit_events (id) WHERE seq IS NULL;
CREATE INDEX audit_events_hash ON audit_events (hash) WHERE hash IS NOT NULL;

-- +goose Down
DROP INDEX audit_events_hash;
DROP INDEX audit_events_unsealed;
DROP INDEX audit_events_seq;
ALTER TABLE audit_events DROP COLUMN hash;
ALTER TABLE audit_events DROP COLUMN prev_hash;
ALTER TABLE audit_events DROP COLUMN seq;
