-- +goose Up
CREATE TABLE releases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    service         TEXT     NOT NULL,
    version         TEXT     NOT NULL,
    status          TEXT     NOT NULL,
    created_by      TEXT     NOT NULL,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    window_name     TEXT     NOT NULL DEFAULT '',
    start_at        DATETIME,
    teams           TEXT     NOT NULL, -- JSON array
    environments    TEXT     NOT NULL, -- JSON array, deploy order
    notes           TEXT     NOT NULL DEFAULT '',
    override_by     TEXT     NOT NULL DEFAULT '',
    override_reason TEXT     NOT NULL DEFAULT '',
    reason          TEXT     NOT NULL DEFAULT '',
    origin          TEXT     NOT NULL DEFAULT '' -- where it was opened (a channel)
);
CREATE INDEX releases_status_id ON releases (status, id);
CREATE INDEX releases_service_id ON releases (service, id);
CREATE INDEX releases_created_by_id ON releases (created_by, id);
-- One open release per service and version: a double-submitted create opens one.
CREATE UNIQUE INDEX releases_open_version ON releases (service, version)
    WHERE status IN ('awaiting_signoff', 'ready', 'deploying', 'awaiting_promotion');

CREATE TABLE signoffs (
    release_id INTEGER  NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    team       TEXT     NOT NULL,
    user_id    TEXT     NOT NULL,
    decision   TEXT     NOT NULL,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (release_id, team, user_id)
);

CREATE TABLE deployments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id       INTEGER  NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    environment      TEXT     NOT NULL,
    type             TEXT     NOT NULL,
    status           TEXT     NOT NULL,
    service          TEXT     NOT NULL,
    version          TEXT     NOT NULL,
    previous_version TEXT     NOT NULL DEFAULT '',
    requested_by     TEXT     NOT NULL,
    attempts         INTEGER  NOT NULL DEFAULT 0,
    message          TEXT     NOT NULL DEFAULT '',
    url              TEXT     NOT NULL DEFAULT '',
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL,
    finished_at      DATETIME
);
CREATE INDEX deployments_release ON deployments (release_id, id);
CREATE INDEX deployments_target ON deployments (service, environment, status, id);
CREATE INDEX deployments_status ON deployments (status, id);

CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id INTEGER REFERENCES releases (id) ON DELETE CASCADE,
    at         DATETIME NOT NULL,
    actor      TEXT     NOT NULL,
    action     TEXT     NOT NULL,
    detail     TEXT     NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_release ON audit_events (release_id, id);

-- Messages the bot posted for a release: its card, each team's sign-off
-- request. Reactions and buttons find their release through this table.
CREATE TABLE messages (
    channel    TEXT     NOT NULL,
    ts         TEXT     NOT NULL,
    release_id INTEGER  NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    kind       TEXT     NOT NULL,
    team       TEXT     NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    PRIMARY KEY (channel, ts)
);
CREATE UNIQUE INDEX messages_release_kind ON messages (release_id, kind, team);

-- +goose Down
DROP TABLE messages;
DROP TABLE audit_events;
DROP TABLE deployments;
DROP TABLE signoffs;
DROP TABLE releases;
