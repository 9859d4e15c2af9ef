-- Live migrations and subscriber handovers (issue 6, docs/handover.md). Numbered 50 to leave
-- room for other features' migrations.
CREATE TABLE migration (
    id                  TEXT PRIMARY KEY,            -- migration id (also sent to the agents)
    kind                TEXT NOT NULL,               -- HANDOVER | MIGRATE
    operation_id        UUID NOT NULL REFERENCES operation (id) ON DELETE CASCADE,
    subscriber_id       TEXT,                        -- HANDOVER: the subscriber
    guest_id            TEXT NOT NULL,
    nf_type             TEXT NOT NULL,
    source_node         TEXT NOT NULL,
    target_node         TEXT NOT NULL,
    source_attachment   TEXT,
    target_attachment   TEXT,
    base_generation     BIGINT NOT NULL,             -- the guest's command generation when it started
    state               TEXT NOT NULL,               -- MigrationState (PENDING .. ROLLED_BACK)
    snapshot            TEXT,                        -- JSON MigrationSnapshot, written before/after every step
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
-- at most one unfinished migration per subscriber and per guest (concurrent handovers: 409)
CREATE UNIQUE INDEX migration_active_subscriber ON migration (subscriber_id)
    WHERE state NOT IN ('SUCCEEDED', 'FAILED', 'ROLLED_BACK');
CREATE UNIQUE INDEX migration_active_guest ON migration (guest_id)
    WHERE state NOT IN ('SUCCEEDED', 'FAILED', 'ROLLED_BACK');
CREATE INDEX migration_state ON migration (state);
