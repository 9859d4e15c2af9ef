/**
 * Live migration and subscriber handover (issue 6, docs/handover.md): the REST endpoints
 * ({@code POST /subscribers/{id}/handover}, {@code POST /nf-instances/{id}/migrate}), the
 * controller's {@link dev.mayfly.migration.flow.MigrationSteps} (southbound commands with ids,
 * results awaited with timeouts, {@link dev.mayfly.controller.migration.AgentCommands}), the
 * {@code migration} table holding every {@link dev.mayfly.migration.flow.MigrationSnapshot}
 * (written before and after each step) and the restart rule: on start-up every unfinished
 * migration is resumed or rolled back from the database.
 */
package dev.mayfly.controller.migration;
