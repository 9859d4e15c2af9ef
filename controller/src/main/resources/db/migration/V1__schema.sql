-- Mayfly controller schema v1: edge nodes, NF descriptors, NF instances, operations.

CREATE TABLE edge_node (
    name                    TEXT PRIMARY KEY,
    status                  TEXT NOT NULL,            -- READY | CORDONED | DRAINING | UNREACHABLE (derived)
    reachable               BOOLEAN NOT NULL,
    cordoned                BOOLEAN NOT NULL DEFAULT FALSE,
    draining                BOOLEAN NOT NULL DEFAULT FALSE,
    driver                  TEXT,
    agent_version           TEXT,
    capabilities            TEXT NOT NULL DEFAULT '[]',  -- JSON array
    labels                  TEXT NOT NULL DEFAULT '{}',  -- JSON object
    data_plane_address      TEXT,
    cpus                    INTEGER NOT NULL DEFAULT 0,
    memory_bytes            BIGINT NOT NULL DEFAULT 0,
    guest_slots             INTEGER NOT NULL DEFAULT 0,
    load_guests_running     INTEGER,
    load_guests_total       INTEGER,
    load_memory_used        BIGINT,
    load_memory_available   BIGINT,
    load_load1              DOUBLE PRECISION,
    load_pool_ready         INTEGER,
    load_pool_target        INTEGER,
    load_boot_p50_ms        DOUBLE PRECISION,
    load_boot_p99_ms        DOUBLE PRECISION,
    registered_at           TIMESTAMPTZ NOT NULL,
    last_seen               TIMESTAMPTZ NOT NULL
);
CREATE INDEX edge_node_status ON edge_node (status);

CREATE TABLE nf_descriptor (
    name          TEXT PRIMARY KEY,
    version       TEXT NOT NULL,
    description   TEXT,
    vendor        TEXT,
    ports         TEXT NOT NULL,                     -- JSON array of {name, description}
    memory_mib    INTEGER NOT NULL,
    cpu_weight    INTEGER NOT NULL,
    pids_max      INTEGER NOT NULL,
    click_config  TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE nf_instance (
    id                    UUID PRIMARY KEY,
    name                  TEXT,
    nf_name               TEXT NOT NULL REFERENCES nf_descriptor (name),
    nf_version            TEXT NOT NULL,
    node_name             TEXT,
    guest_id              TEXT NOT NULL UNIQUE,
    desired_state         TEXT NOT NULL,             -- RUNNING | DELETED
    generation            BIGINT NOT NULL,
    observed_state        TEXT NOT NULL,
    observed_generation   BIGINT NOT NULL DEFAULT 0,
    dispatched_generation BIGINT NOT NULL DEFAULT 0,
    dispatched_at         TIMESTAMPTZ,
    memory_bytes          BIGINT NOT NULL,
    constraint_labels     TEXT NOT NULL DEFAULT '{}',
    strategy              TEXT,
    ports                 TEXT NOT NULL DEFAULT '[]',
    labels                TEXT NOT NULL DEFAULT '{}',
    last_error            TEXT,
    restarts              INTEGER NOT NULL DEFAULT 0,
    operation_id          UUID,
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX nf_instance_node ON nf_instance (node_name);
CREATE INDEX nf_instance_nf ON nf_instance (nf_name);
CREATE INDEX nf_instance_state ON nf_instance (observed_state);
CREATE INDEX nf_instance_created ON nf_instance (created_at, id);

-- guests left behind on a node when their instance moved (drain); destroyed by the reconciler
CREATE TABLE guest_cleanup (
    guest_id      TEXT PRIMARY KEY,
    node_name     TEXT NOT NULL,
    generation    BIGINT NOT NULL,
    dispatched_at TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE operation (
    id                  UUID PRIMARY KEY,
    type                TEXT NOT NULL,               -- INSTANTIATE | TERMINATE | DRAIN
    state               TEXT NOT NULL,               -- PENDING | RUNNING | SUCCEEDED | FAILED | ROLLED_BACK
    resource_type       TEXT NOT NULL,
    resource_id         TEXT NOT NULL,
    start_time          TIMESTAMPTZ NOT NULL,
    state_entered_time  TIMESTAMPTZ NOT NULL,
    error_status        INTEGER,
    error_title         TEXT,
    error_detail        TEXT,
    error_fields        TEXT                          -- JSON array of {field, message}
);
CREATE INDEX operation_resource ON operation (resource_id);
CREATE INDEX operation_start ON operation (start_time DESC);

CREATE TABLE operation_phase (
    operation_id  UUID NOT NULL REFERENCES operation (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    name          TEXT NOT NULL,
    state         TEXT NOT NULL,
    start_time    TIMESTAMPTZ,
    duration_ms   DOUBLE PRECISION,
    detail        TEXT,
    PRIMARY KEY (operation_id, seq)
);
