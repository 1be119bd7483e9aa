-- +goose Up
-- The run a deploy target started for a deployment (a GitHub Actions run,
-- a GitLab pipeline, an Argo CD sync) and when to ask about it next.
-- Completion webhooks find the deployment by its run; polling, the
-- fallback, picks up due runs, in any replica and after a restart.
ALTER TABLE deployments ADD COLUMN run_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN run_id TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN poll_at DATETIME;
CREATE INDEX deployments_run ON deployments (run_kind, run_id) WHERE run_id <> '';
CREATE INDEX deployments_poll_at ON deployments (poll_at) WHERE poll_at IS NOT NULL;

-- +goose Down
DROP INDEX deployments_poll_at;
DROP INDEX deployments_run;
ALTER TABLE deployments DROP COLUMN poll_at;
ALTER TABLE deployments DROP COLUMN run_id;
ALTER TABLE deployments DROP COLUMN run_kind;
