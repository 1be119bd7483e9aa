-- +goose Up
-- The ids of accepted deployer callbacks: an id accepted for one
-- deployment is refused for another, in every replica and after restarts.
-- A callback's signature is good for 5 minutes either side of its
-- timestamp, so ids are forgotten after a while (releases.WebhookIDMemory).
CREATE TABLE webhook_ids (
    webhook_id    TEXT    PRIMARY KEY,
    deployment_id INTEGER NOT NULL,
    seen_at       DATETIME NOT NULL
);
CREATE INDEX webhook_ids_seen_at ON webhook_ids (seen_at);

-- +goose Down
DROP TABLE webhook_ids;
