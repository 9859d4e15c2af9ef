/**
 * Agent-to-agent checkpoint transfer over Netty with mutual TLS.
 *
 * <p>The target agent runs one {@link dev.mayfly.migration.transfer.MigrationReceiver} and
 * announces each incoming migration with {@code expect(migrationId, guestId, token, timeout)};
 * the source agent calls {@link dev.mayfly.migration.transfer.MigrationSender#send} (or
 * {@code open(...)} ahead of the pause, then {@code OpenTransfer.send(bytes)}). The stream is
 * HELLO (id + token) → ACCEPT → BEGIN (size) → DATA chunks of 256 KiB → END (size + CRC32C) → DONE; any
 * problem is an ERROR frame with a reason and a closed connection, and fails the futures on both
 * sides. Frame layout and rules: {@code docs/migration.md}.
 */
package dev.mayfly.migration.transfer;
