/**
 * The migration state machine shared by controller and agent: eight phases
 * ({@link dev.mayfly.migration.flow.Phase}), driven through {@link
 * dev.mayfly.migration.flow.MigrationSteps}, with compensations on failure or abort, per-phase
 * timings, the derived downtime (pause to resume), and a persistable {@link
 * dev.mayfly.migration.flow.MigrationSnapshot} from which a restarted controller continues or
 * rolls back ({@link dev.mayfly.migration.flow.MigrationMachine#resume}). Plain Java: no Spring,
 * no JPA. Rules and diagram: {@code docs/migration.md}.
 */
package dev.mayfly.migration.flow;
