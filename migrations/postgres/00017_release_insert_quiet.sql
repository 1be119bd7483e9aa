-- +goose Up
-- 00004 announced every insert into releases too. A new release changes
-- no release a replica keeps in memory (it keeps releases it loaded, by
-- id), so the announcement told nobody anything, and it cost every create
-- dearly: a transaction that notifies holds a lock over the whole cluster
-- from its commit until its commit record is on disk, so creates committed
-- one at a time, a WAL flush each, instead of sharing flushes. Updates and
-- deletes are still announced.
DROP TRIGGER releases_changed ON releases;
CREATE TRIGGER releases_changed AFTER UPDATE OR DELETE ON releases
    FOR EACH STATEMENT EXECUTE FUNCTION releasebot_release_changed();

-- +goose Down
DROP TRIGGER releases_changed ON releases;
CREATE TRIGGER releases_changed AFTER INSERT OR UPDATE OR DELETE ON releases
    FOR EACH STATEMENT EXECUTE FUNCTION releasebot_release_changed();
