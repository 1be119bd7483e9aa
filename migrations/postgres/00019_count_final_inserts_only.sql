-- +goose Up
-- A release inserted in an open status (every create) is counted nowhere
-- in release_status_counts, yet 00011's row trigger ran for it: a
-- PL/pgSQL call and two statements, about a third of the create
-- statement's time in the database. An insert now fires it only for a
-- status that is not open (history imported or seeded); changes of status
-- and deletes as before. The list is of the open statuses
-- (releases.ActiveStatuses), not of the final ones: a final status added
-- later, and forgotten here, is still counted.
DROP TRIGGER releases_status_counted ON releases;
CREATE TRIGGER releases_status_counted AFTER UPDATE OF status OR DELETE ON releases
    FOR EACH ROW EXECUTE FUNCTION releasebot_count_release_status();
CREATE TRIGGER releases_status_counted_insert AFTER INSERT ON releases
    FOR EACH ROW WHEN (NEW.status NOT IN ('awaiting_signoff', 'ready', 'deploying', 'awaiting_promotion'))
    EXECUTE FUNCTION releasebot_count_release_status();

-- +goose Down
DROP TRIGGER releases_status_counted_insert ON releases;
DROP TRIGGER releases_status_counted ON releases;
CREATE TRIGGER releases_status_counted AFTER INSERT OR UPDATE OF status OR DELETE ON releases
    FOR EACH ROW EXECUTE FUNCTION releasebot_count_release_status();
