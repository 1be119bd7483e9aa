-- +goose Up
-- A pending deployment is the outbox entry of its webhook delivery: it is
-- written in the same transaction as the change that caused it, and these
-- columns carry the delivery's state across attempts, workers and restarts.
ALTER TABLE deployments ADD COLUMN webhook_id      TEXT NOT NULL DEFAULT ''; -- Standard Webhooks id, the same on every attempt; set on the first claim
ALTER TABLE deployments ADD COLUMN next_attempt_at TIMESTAMPTZ;              -- NULL: due now
ALTER TABLE deployments ADD COLUMN claimed_until   TIMESTAMPTZ;              -- a worker's lease while it sends; NULL or past: free
ALTER TABLE deployments ADD COLUMN finish_by       TIMESTAMPTZ;              -- first attempt + finish_within; NULL until the first attempt
ALTER TABLE deployments ADD COLUMN last_error      TEXT NOT NULL DEFAULT ''; -- why the last attempt did not go through
-- The timeout sweeper's question: which unfinished deployments are overdue?
CREATE INDEX deployments_finish_by ON deployments (finish_by)
    WHERE status IN ('pending', 'in_progress') AND finish_by IS NOT NULL;

-- +goose Down
DROP INDEX deployments_finish_by;
ALTER TABLE deployments DROP COLUMN last_error;
ALTER TABLE deployments DROP COLUMN finish_by;
ALTER TABLE deployments DROP COLUMN claimed_until;
ALTER TABLE deployments DROP COLUMN next_attempt_at;
ALTER TABLE deployments DROP COLUMN webhook_id;
