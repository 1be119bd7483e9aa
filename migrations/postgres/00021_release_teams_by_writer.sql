-- +goose Up
-- A create lists its release's teams in release_teams in its own
-- statement, and says so in teams_listed: the row trigger of 00013, a
-- PL/pgSQL call and a nested INSERT for every new release (about an
-- eighth of PostgreSQL's CPU in a burst of creates), then has nothing to
-- do and is not called. A release inserted without the flag (an older
-- releasebot during a rolling upgrade) still has its teams listed by the
-- trigger; changed teams and deletes still go through it.
ALTER TABLE releases ADD COLUMN teams_listed BOOLEAN NOT NULL DEFAULT FALSE;
DROP TRIGGER releases_teams ON releases;
CREATE TRIGGER releases_teams AFTER UPDATE OF teams OR DELETE ON releases
    FOR EACH ROW EXECUTE FUNCTION releasebot_release_teams();
CREATE TRIGGER releases_teams_insert AFTER INSERT ON releases
    FOR EACH ROW WHEN (NOT NEW.teams_listed) EXECUTE FUNCTION releasebot_release_teams();

-- +goose Down
DROP TRIGGER releases_teams_insert ON releases;
DROP TRIGGER releases_teams ON releases;
CREATE TRIGGER releases_teams AFTER INSERT OR UPDATE OF teams OR DELETE ON releases
    FOR EACH ROW EXECUTE FUNCTION releasebot_release_teams();
ALTER TABLE releases DROP COLUMN teams_listed;
