-- +goose Up
-- A release is a list of components: one service at one version each. A
-- one-service release has one; a train has several. releases.service and
-- releases.version keep the first component, for what read them before.
-- Existing releases get their one component here.
ALTER TABLE releases ADD COLUMN name TEXT NOT NULL DEFAULT '';
CREATE TABLE release_components (
    release_id     INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL, -- as given at create, from 0
    service        TEXT    NOT NULL,
    version        TEXT    NOT NULL,
    digest         TEXT    NOT NULL DEFAULT '',
    descoped       BOOLEAN NOT NULL DEFAULT FALSE,
    descope_reason TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (release_id, service)
);
-- History and the list filter by service find trains that hold it.
CREATE INDEX release_components_service ON release_components (service, release_id);
INSERT INTO release_components (release_id, position, service, version)
SELECT id, 0, service, version FROM releases;

-- +goose Down
DROP TABLE release_components;
ALTER TABLE releases DROP COLUMN name;
