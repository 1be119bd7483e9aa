-- +goose Up
-- A new release announces nothing on releasebot_release_changes: what a
-- replica keeps in memory are releases it read, by id, and a release just
-- inserted is none of them; its sign-offs, deployments and every later
-- change still announce. A NOTIFY makes PostgreSQL take one lock, for the
-- whole cluster, from the commit until its WAL is flushed: the commits of
-- concurrent creates queued there one flush after another instead of
-- sharing one.
DROP TRIGGER releases_changed ON releases;
CREATE TRIGGER releases_changed AFTER UPDATE OR DELETE ON releases
    FOR EACH STATEMENT EXECUTE FUNCTION releasebot_release_changed();

-- +goose Down
DROP TRIGGER releases_changed ON releases;
CREATE TRIGGER releases_changed AFTER INSERT OR UPDATE OR DELETE ON releases
    FOR EACH STATEMENT EXECUTE FUNCTION releasebot_release_changed();
