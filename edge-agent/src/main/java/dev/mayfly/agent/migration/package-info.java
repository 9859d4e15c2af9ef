/**
 * The agent's side of live migration (issue 6, docs/handover.md): the migration actions of the
 * southbound ({@code ExpectMigration}, {@code CheckpointGuest{migration_id}}, {@code MigrateOut},
 * {@code RestoreMigrated}, {@code CancelMigration}) over the {@code migration/} module's
 * checkpoint format and agent-to-agent TLS transfer.
 */
package dev.mayfly.agent.migration;
