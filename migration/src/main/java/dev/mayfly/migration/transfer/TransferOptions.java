package dev.mayfly.migration.transfer;

import dev.mayfly.migration.checkpoint.CheckpointFormat;
import java.time.Duration;
import java.util.Objects;

/**
 * Limits and timeouts of a transfer end.
 *
 * @param maxBytes largest checkpoint accepted or sent (default 256 MiB, the checkpoint cap)
 * @param connectTimeout sender: TCP connect timeout (default 3 s)
 * @param idleTimeout receiver: fail a transfer when nothing arrives for this long (default 10 s)
 * @param transferTimeout sender: fail when DONE has not arrived this long after the connect started (default 60 s)
 */
public record TransferOptions(long maxBytes, Duration connectTimeout, Duration idleTimeout, Duration transferTimeout) {

  public TransferOptions {
    if (maxBytes < CheckpointFormat.MIN_BYTES || maxBytes > CheckpointFormat.MAX_CAP) {
      throw new IllegalArgumentException("maxBytes must be " + CheckpointFormat.MIN_BYTES + ".." + CheckpointFormat.MAX_CAP);
    }
    positive(connectTimeout, "connectTimeout");
    positive(idleTimeout, "idleTimeout");
    positive(transferTimeout, "transferTimeout");
  }

  private static void positive(Duration d, String field) {
    Objects.requireNonNull(d, field);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(field + " must be positive, got " + d);
  }

  public static TransferOptions defaults() {
    return new TransferOptions(CheckpointFormat.DEFAULT_MAX_BYTES, Duration.ofSeconds(3), Duration.ofSeconds(10),
        Duration.ofSeconds(60));
  }

  public TransferOptions withMaxBytes(long v) {
    return new TransferOptions(v, connectTimeout, idleTimeout, transferTimeout);
  }

  public TransferOptions withConnectTimeout(Duration v) {
    return new TransferOptions(maxBytes, v, idleTimeout, transferTimeout);
  }

  public TransferOptions withIdleTimeout(Duration v) {
    return new TransferOptions(maxBytes, connectTimeout, v, transferTimeout);
  }

  public TransferOptions withTransferTimeout(Duration v) {
    return new TransferOptions(maxBytes, connectTimeout, idleTimeout, v);
  }
}
