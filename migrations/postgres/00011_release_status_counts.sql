-- +goose Up
-- How many releases are in each final status, kept as releases change, so
-- that a metrics scrape reads a few rows however long the history grows
-- (issue 11). The open statuses are few releases: the scrape counts those
-- through releases_status_id. A trigger keeps the totals in the same
-- transaction as every insert, change of status and delete, whoever makes
-- it; a status without a row here (an open one) is not kept.
CREATE TABLE release_status_counts (
    status TEXT PRIMARY KEY,
    n      BIGINT NOT NULL
);
INSERT INTO release_status_counts (status, n) VALUES
    ('deployed', 0), ('failed', 0), ('rolled_back', 0), ('rejected', 0), ('cancelled', 0);

-- The two rows one change touches are locked in the order of their names,
-- so that two releases changing between the same statuses in opposite
-- directions can't deadlock.
-- +goose StatementBegin
CREATE FUNCTION releasebot_count_release_status() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone TEXT;
    came TEXT;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        gone := OLD.status;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        came := NEW.status;
    END IF;
    IF gone IS NOT DISTINCT FROM came THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM release_status_counts WHERE status IN (gone, came) ORDER BY status FOR UPDATE;
    UPDATE release_status_counts SET n = n + CASE WHEN status = came THEN 1 ELSE -1 END
     WHERE status IN (gone, came);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER releases_status_counted AFTER INSERT OR UPDATE OF status OR DELETE ON releases
    FOR EACH ROW EXECUTE FUNCTION releasebot_count_release_status();

-- The trigger exists before the backfill: a change committed after this
-- migration is counted by the trigger, one committed before by the count.
UPDATE release_status_counts
   SET n = (SELECT count(*) FROM releases WHERE releases.status = release_status_counts.status);

-- +goose Down
DROP TRIGGER releases_status_counted ON releases;
DROP FUNCTION releasebot_count_release_status();
DROP TABLE release_status_counts;
