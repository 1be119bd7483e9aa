-- +goose Up
-- History by team and by service (issue 12), each read through an index.
--
-- The teams each release asks sign-off from, one row each, so that a list
-- filtered by team walks (team, release_id) newest first and stops at the
-- page's end instead of reading every release's JSON teams (issue 12).
-- A trigger fills it in the same transaction as the release, whoever
-- writes it; the releases' own teams column stays the source of truth. No
-- foreign key: its cascade would look rows up by release_id, which no
-- index leads with; the trigger finds them by (team, release_id).
-- (00012 is the deployments' run tracking.)
CREATE TABLE release_teams (
    team       TEXT   NOT NULL,
    release_id BIGINT NOT NULL,
    PRIMARY KEY (team, release_id)
);

-- +goose StatementBegin
CREATE FUNCTION releasebot_release_teams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.teams IS NOT DISTINCT FROM NEW.teams THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM release_teams
         WHERE release_id = OLD.id AND team IN (SELECT jsonb_array_elements_text(OLD.teams::jsonb));
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN NULL;
    END IF;
    INSERT INTO release_teams (team, release_id)
        SELECT DISTINCT t, NEW.id FROM jsonb_array_elements_text(NEW.teams::jsonb) AS t
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER releases_teams AFTER INSERT OR UPDATE OF teams OR DELETE ON releases
    FOR EACH ROW EXECUTE FUNCTION releasebot_release_teams();

-- The trigger exists before the backfill: a release committed after this
-- migration is filled by the trigger, one committed before by this.
INSERT INTO release_teams (team, release_id)
    SELECT DISTINCT t, r.id FROM releases r, jsonb_array_elements_text(r.teams::jsonb) AS t
    ON CONFLICT DO NOTHING;

-- One service's deployments to an environment in a period, for the DORA
-- figures of `/release history SERVICE`: the service's own rows, not the
-- whole period's of every service.
CREATE INDEX deployments_service_finished ON deployments (service, environment, finished_at);

-- +goose Down
DROP INDEX deployments_service_finished;
DROP TRIGGER releases_teams ON releases;
DROP FUNCTION releasebot_release_teams();
DROP TABLE release_teams;
