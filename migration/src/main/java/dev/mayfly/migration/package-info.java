/**
 * Guest state transfer for live migration (issue 6).
 *
 * <ul>
 *   <li>{@link dev.mayfly.migration.checkpoint} &mdash; the {@code MFCK} checkpoint container
 *       (magic, version, header, typed sections, CRC32C, size cap);</li>
 *   <li>{@link dev.mayfly.migration.transfer} &mdash; the agent-to-agent stream over Netty with
 *       mutual TLS ({@code MigrationReceiver} on the target, {@code MigrationSender} on the source);</li>
 *   <li>{@link dev.mayfly.migration.flow} &mdash; the migration state machine shared by controller
 *       and agent, with compensations and restart recovery.</li>
 * </ul>
 *
 * No Spring in this module: plain Java plus Netty. Byte layouts and rules: {@code docs/migration.md}.
 */
package dev.mayfly.migration;
