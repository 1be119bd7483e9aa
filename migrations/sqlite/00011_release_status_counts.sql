-- +goose Up
-- How many releases are in each final status, kept as releases change, so
-- that a metrics scrape reads a few rows however long the history grows
-- (issue 11). The open statuses are few releases: the scrape counts those
-- through releases_status_id. Triggers keep the totals in the same
-- transaction as every insert, change of status and delete, whoever makes
-- it; a status without a row here (an open one) is not kept.
CREATE TABLE release_status_counts (
    status TEXT PRIMARY KEY,
    n      INTEGER NOT NULL
);
INSERT INTO release_status_counts (status, n) VALUES
    ('deployed', 0), ('failed', 0), ('rolled_back', 0), ('rejected', 0), ('cancelled', 0);
UPDATE release_status_counts
   SET n = (SELECT count(*) FROM releases WHERE releases.status = release_status_counts.status);

-- +goose StatementBegin
CREATE TRIGGER releases_status_counted_insert AFTER INSERT ON releases
BEGIN
    UPDATE release_status_counts SET n = n + 1 WHERE status = NEW.status;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER releases_status_counted_update AFTER UPDATE OF status ON releases
WHEN OLD.status IS NOT NEW.status
BEGIN
    UPDATE release_status_counts SET n = n - 1 WHERE status = OLD.status;
    UPDATE release_status_counts SET n = n + 1 WHERE status = NEW.status;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER releases_status_counted_delete AFTER DELETE ON releases
BEGIN
    UPDATE release_status_counts SET n = n - 1 WHERE status = OLD.status;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER releases_status_counted_delete;
DROP TRIGGER releases_status_counted_update;
DROP TRIGGER releases_status_counted_insert;
DROP TABLE release_status_counts;
