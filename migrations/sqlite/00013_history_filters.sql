-- +goose Up
-- History by team and by service (issue 12), each read through an index.
--
-- The teams each release asks sign-off from, one row each, so that a list
-- filtered by team walks (team, release_id) newest first and stops at the
-- page's end instead of reading every release's JSON teams (issue 12).
-- Triggers fill it in the same statement as the release, whoever writes
-- it; the releases' own teams column stays the source of truth. No
-- foreign key: its cascade would look rows up by release_id, which no
-- index leads with; the delete trigger finds them by (team, release_id).
-- (00012 is the deployments' run tracking.)
CREATE TABLE release_teams (
    team       TEXT    NOT NULL,
    release_id INTEGER NOT NULL,
    PRIMARY KEY (team, release_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO release_teams (team, release_id)
    SELECT j.value, r.id FROM releases r, json_each(r.teams) j;

-- +goose StatementBegin
CREATE TRIGGER releases_teams_insert AFTER INSERT ON releases
BEGIN
    INSERT OR IGNORE INTO release_teams (team, release_id) SELECT value, NEW.id FROM json_each(NEW.teams);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER releases_teams_update AFTER UPDATE OF teams ON releases
WHEN OLD.teams IS NOT NEW.teams
BEGIN
    DELETE FROM release_teams WHERE release_id = OLD.id AND team IN (SELECT value FROM json_each(OLD.teams));
    INSERT OR IGNORE INTO release_teams (team, release_id) SELECT value, NEW.id FROM json_each(NEW.teams);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER releases_teams_delete AFTER DELETE ON releases
BEGIN
    DELETE FROM release_teams WHERE release_id = OLD.id AND team IN (SELECT value FROM json_each(OLD.teams));
END;
-- +goose StatementEnd

-- One service's deployments to an environment in a period, for the DORA
-- figures of `/release history SERVICE`: the service's own rows, not the
-- whole period's of every service.
CREATE INDEX deployments_service_finished ON deployments (service, environment, finished_at);

-- +goose Down
DROP INDEX deployments_service_finished;
DROP TRIGGER releases_teams_delete;
DROP TRIGGER releases_teams_update;
DROP TRIGGER releases_teams_insert;
DROP TABLE release_teams;
