package dev.mayfly.migration.checkpoint;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;

/**
 * The checkpoint header.
 *
 * @param guestId the guest's id (1..255 UTF-8 bytes)
 * @param generation the guest's generation at checkpoint time (commands are idempotent on id + generation)
 * @param nfType the NF type from the catalog, e.g. {@code personal-firewall} (1..255 UTF-8 bytes)
 * @param createdAt when the checkpoint was taken (stored with millisecond precision)
 * @param flags 32 application-defined bits, carried unchanged (see the {@code FLAG_} constants)
 */
public record CheckpointHeader(String guestId, long generation, String nfType, Instant createdAt, int flags) {

  /** The guest was paused while the checkpoint was taken (live-migration checkpoint). */
  public static final int FLAG_PAUSED = 1;

  public CheckpointHeader {
    Objects.requireNonNull(guestId, "guestId");
    Objects.requireNonNull(nfType, "nfType");
    Objects.requireNonNull(createdAt, "createdAt");
    checkName("guestId", guestId);
    checkName("nfType", nfType);
    if (generation < 0) throw new IllegalArgumentException("generation must be >= 0, got " + generation);
    createdAt = Instant.ofEpochMilli(createdAt.toEpochMilli());
  }

  private static void checkName(String field, String value) {
    int n = value.getBytes(StandardCharsets.UTF_8).length;
    if (n < 1 || n > 255) {
      throw new IllegalArgumentException(field + " must be 1..255 UTF-8 bytes, got " + n);
    }
  }
}
