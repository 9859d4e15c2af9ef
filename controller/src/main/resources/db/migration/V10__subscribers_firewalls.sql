-- Subscribers, their firewall policies, bulk batches and personal-firewall guests (issue 5).
-- Numbered 10 to leave room for other features' migrations (Flyway orders by version).

CREATE TABLE subscriber (
    id                 TEXT PRIMARY KEY,               -- IMSI/SUPI
    ue_ip              TEXT NOT NULL UNIQUE,
    edge_node          TEXT NOT NULL,
    attachment         TEXT NOT NULL,
    fail_open          BOOLEAN,                        -- NULL = mayfly.firewall.fail-open
    policy             TEXT,                           -- JSON FirewallPolicy, NULL = none
    policy_generation  BIGINT NOT NULL DEFAULT 0,      -- bumped on every change of what the guest must enforce
    batch_id           UUID,
    batch_index        INTEGER,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    CONSTRAINT subscriber_attachment_unique UNIQUE (edge_node, attachment)
);
CREATE INDEX subscriber_node_idx ON subscriber (edge_node);
CREATE INDEX subscriber_batch_idx ON subscriber (batch_id);

CREATE TABLE subscriber_batch (
    id            UUID PRIMARY KEY,
    atomic        BOOLEAN NOT NULL,
    total         INTEGER NOT NULL,
    rejected      TEXT NOT NULL DEFAULT '[]',          -- JSON [{index, id, errors:[{field, message}]}]
    start_time    TIMESTAMPTZ NOT NULL,
    end_time      TIMESTAMPTZ
);

-- One row per personal-firewall guest; written only by the FirewallProvisioner thread.
CREATE TABLE firewall_guest (
    guest_id              TEXT PRIMARY KEY,
    subscriber_id         TEXT,                        -- NULL once the subscriber is gone
    node_name             TEXT NOT NULL,
    attachment            TEXT NOT NULL,
    desired               TEXT NOT NULL,               -- RUNNING | DELETED
    state                 TEXT NOT NULL,               -- PENDING | RUNNING | UPDATING | FAILED | TERMINATING
    stateful              BOOLEAN NOT NULL,            -- graph variant the guest booted with
    command_generation    BIGINT NOT NULL,             -- generation of the last command sent
    inflight_policy_gen   BIGINT,                      -- policy generation the commands in flight carry
    applied_policy_gen    BIGINT NOT NULL DEFAULT 0,
    error                 TEXT,
    dispatched_at         TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX firewall_guest_subscriber ON firewall_guest (subscriber_id);
CREATE INDEX firewall_guest_node ON firewall_guest (node_name);
