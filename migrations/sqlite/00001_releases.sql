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
    detail     TEXT     NOT NULL DEFAULT '',
    relayed_at DATETIME          -- when the bot turned it into chat messages; NULL: not yet
);
CREATE INDEX audit_events_release ON audit_events (release_id, id);
CREATE INDEX audit_events_unrelayed ON audit_events (id) WHERE relayed_at IS NULL;

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

-- Chat messages waiting to be sent, in order per release (and in one queue
-- for messages about no release): a durable queue that survives restarts,
-- rate limits and Slack outages.
CREATE TABLE chat_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id      INTEGER  REFERENCES releases (id) ON DELETE CASCADE, -- NULL: not about one release
    op              TEXT     NOT NULL, -- post_card, post_request, reply, update_card, update_request, post
    dedupe_key      TEXT     UNIQUE,   -- one message per key, however often it is queued
    team            TEXT     NOT NULL DEFAULT '',
    channel         TEXT     NOT NULL DEFAULT '',
    body            TEXT     NOT NULL, -- JSON: text and blocks
    status          TEXT     NOT NULL, -- pending, sent, superseded, failed
    attempts        INTEGER  NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    claimed_until   DATETIME,
    last_error      TEXT     NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    sent_at         DATETIME
);
CREATE INDEX chat_outbox_pending ON chat_outbox (release_id, id) WHERE status = 'pending';

-- Slack event ids being or having been processed, so a retried or
-- duplicated delivery acts once, and one whose processing died is taken over.
CREATE TABLE slack_events (
    event_id      TEXT     PRIMARY KEY,
    status        TEXT     NOT NULL, -- processing, done
    claimed_until DATETIME NOT NULL,
    received_at   DATETIME NOT NULL
);

-- +goose Down
DROP TABLE slack_events;
DROP TABLE chat_outbox;
DROP TABLE messages;
DROP TABLE audit_events;
DROP TABLE deployments;
DROP TABLE signoffs;
DROP TABLE releases;
