-- +goose Up
-- What the DORA figures need of each whole hour and day of an
-- environment's deployments (releases.ReadDORA), so that a summary reads
-- a month as a few dozen rows rather than every deployment in it. A
-- change to a deployment that finished in a span moves its generation on
-- (gen) and drops its data; data kept for an older generation is stale.
CREATE TABLE dora_spans (
    environment  TEXT    NOT NULL,
    span_seconds INTEGER NOT NULL, -- 3600 or 86400
    span_start   BIGINT  NOT NULL, -- Unix seconds, UTC
    gen          BIGINT  NOT NULL DEFAULT 0,
    data_gen     BIGINT  NOT NULL DEFAULT -1,
    data         BYTEA,
    PRIMARY KEY (environment, span_seconds, span_start)
);

-- +goose Down
DROP TABLE dora_spans;
