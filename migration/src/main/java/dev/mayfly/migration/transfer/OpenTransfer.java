package dev.mayfly.migration.transfer;

import java.util.concurrent.CompletableFuture;

/**
 * A connection to a receiver that has already passed TLS and accepted the migration id and
 * token, ready to stream the checkpoint. Opening it before the source guest is paused takes the
 * TCP connect, the TLS handshake and the HELLO round trip out of the migration's downtime.
 * Send within the receiver's idle timeout (default 10 s).
 */
public interface OpenTransfer {
  /** The migration this connection was accepted for. */
  String migrationId();

  /**
   * Streams the checkpoint; call once. The future completes when the receiver verified it
   * ({@link TransferResult#millis()} counts from this call), or fails with a
   * {@link TransferException}; cancelling it aborts the transfer. If the connection was lost
   * while open, the returned future has already failed with the reason.
   */
  CompletableFuture<TransferResult> send(byte[] checkpoint);

  /** Closes the connection with an ERROR frame carrying {@code reason}; the receiver's expectation fails. */
  void abort(String reason);
}
