-- +goose Up
-- Service names are case-insensitive and stored lower-case from now on.
-- Older rows are folded too, so history and the one-deployment-at-a-time
-- queue see Payments-API and payments-api as one service. An open release
-- whose folded name and version another open release already holds is left
-- as it was: the unique index on open releases would refuse it, and that
-- pair is for a person to cancel one of.
UPDATE releases SET service = lower(service)
 WHERE service <> lower(service)
   AND NOT (status IN ('awaiting_signoff', 'ready', 'deploying', 'awaiting_promotion')
            AND EXISTS (SELECT 1 FROM releases other
                         WHERE other.id <> releases.id
                           AND lower(other.service) = lower(releases.service)
                           AND other.version = releases.version
                           AND other.status IN ('awaiting_signoff', 'ready', 'deploying', 'awaiting_promotion')));
UPDATE deployments SET service = (SELECT r.service FROM releases r WHERE r.id = deployments.release_id)
 WHERE service <> lower(service);

-- +goose Down
-- The original case is not kept; lower-case names work on the older code.
SELECT 1;
