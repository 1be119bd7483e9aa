-- +goose Up
-- Every committed change to a release, its sign-offs or its deployments is
-- announced on the channel releasebot_release_changes, by whichever replica
-- (or tool) made it. Each serve process listens, and drops the releases it
-- keeps in memory for status answers when it hears one; NOTIFY is delivered
-- at commit and once per transaction, so the cost is one trigger call per
-- statement.
-- +goose StatementBegin
CREATE FUNCTION releasebot_release_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('releasebot_release_changes', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER releases_changed AFTER INSERT OR UPDATE OR DELETE ON releases
    FOR EACH STATEMENT EXECUTE FUNCTION releasebot_release_changed();
CREATE TRIGGER signoffs_changed AFTER INSERT OR UPDATE OR DELETE ON signoffs
    FOR EACH STATEMENT EXECUTE FUNCTION releasebot_release_changed();
CREATE TRIGGER deployments_changed AFTER INSERT OR UPDATE OR DELETE ON deployments
    FOR EACH STATEMENT EXECUTE FUNCTION releasebot_release_changed();

-- +goose Down
DROP TRIGGER deployments_changed ON deployments;
DROP TRIGGER signoffs_changed ON signoffs;
DROP TRIGGER releases_changed ON releases;
DROP FUNCTION releasebot_release_changed();
