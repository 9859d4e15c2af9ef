/**
 * The agent's side of live migration (issue 6, docs/migration.md §4, docs/handover.md): the
 * migration actions of the southbound ({@code ExpectMigration} — with a spec: boot the guest ahead
 * and freeze it —, {@code CheckpointGuest{migration_id}}, {@code MigrateOut} — {@code open_only},
 * or {@code live}: the whole downtime agent to agent —, {@code RestoreMigrated},
 * {@code CancelMigration}) over the {@code migration/} module's checkpoint format and
 * agent-to-agent TLS transfer, and {@code bench migrate} ({@link dev.mayfly.agent.migration.MigrateBench}).
 */
package dev.mayfly.agent.migration;
