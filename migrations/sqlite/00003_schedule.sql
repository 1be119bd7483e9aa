-- +goose Up
-- Ad-hoc freezes declared from chat (`/release freeze until TIME "reason"`).
-- Freezes from the configuration file are not stored.
CREATE TABLE freezes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    reason     TEXT     NOT NULL,
    start_at   DATETIME NOT NULL,
    end_at     DATETIME NOT NULL,           -- until_at, or when it was lifted
    until_at   DATETIME NOT NULL,           -- the end as declared
    created_by TEXT     NOT NULL,
    lifted_by  TEXT     NOT NULL DEFAULT '', -- who ended it early
    lifted_at  DATETIME
);
CREATE INDEX freezes_end ON freezes (end_at);

-- One row per firing of a scheduled job (a window opening, a reminder, a
-- summary): inserting it is the claim that makes it act once across
-- replicas. A running firing whose claim lapsed is taken over.
CREATE TABLE schedule_firings (
    job           TEXT     NOT NULL,           -- window:NAME, reminder:NAME, summary:NAME
    scheduled_at  DATETIME NOT NULL,
    status        TEXT     NOT NULL,           -- running, done, missed, failed
    owner         TEXT     NOT NULL DEFAULT '', -- the replica that claimed it
    claimed_until DATETIME,                    -- a running firing's lease
    attempts      INTEGER  NOT NULL DEFAULT 0,
    detail        TEXT     NOT NULL DEFAULT '', -- what it did, or why it was missed
    created_at    DATETIME NOT NULL,
    finished_at   DATETIME,
    PRIMARY KEY (job, scheduled_at)
);
CREATE INDEX schedule_firings_running ON schedule_firings (claimed_until) WHERE status = 'running';

-- How far each job's firings were looked at: a replica that starts after
-- all were down catches up what came due since, even for a job that had
-- never fired.
CREATE TABLE schedule_cursors (
    job        TEXT     PRIMARY KEY,
    checked_to DATETIME NOT NULL  -- every firing of job up to here was claimed or recorded
);

-- Summaries ask what ended in a period, and what reached production.
CREATE INDEX audit_events_action_at ON audit_events (action, at);
CREATE INDEX deployments_environment_finished ON deployments (environment, finished_at);

-- +goose Down
DROP INDEX deployments_environment_finished;
DROP INDEX audit_events_action_at;
DROP TABLE schedule_cursors;
DROP TABLE schedule_firings;
DROP TABLE freezes;
