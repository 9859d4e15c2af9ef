package dev.mayfly.migration.checkpoint;

/** Constants of the {@code MFCK} container (layout: {@code docs/migration.md}). */
public final class CheckpointFormat {
  /** {@code "MFCK"} as a big-endian int. */
  public static final int MAGIC = 0x4D46434B;
  /** The only format version this code reads and writes. */
  public static final int VERSION = 1;
  /** Default size cap of a whole checkpoint: 256 MiB. */
  public static final long DEFAULT_MAX_BYTES = 256L * 1024 * 1024;
  /** Largest cap a reader or writer accepts (checkpoints are held in one byte array). */
  public static final long MAX_CAP = Integer.MAX_VALUE - 64;
  /** Magic, version, reserved, total length. */
  static final int PREFIX_BYTES = 16;
  /** Prefix + generation + created-at + flags + two 1-byte names + section count + CRC. */
  public static final int MIN_BYTES = PREFIX_BYTES + 8 + 8 + 4 + (1 + 1) + (1 + 1) + 2 + 4;
  /** At most this many sections. */
  public static final int MAX_SECTIONS = 1024;
  /** Bytes of a section's header: type u16, reserved u16, length u32. */
  static final int SECTION_HEADER_BYTES = 8;

  private CheckpointFormat() {}

  static long checkCap(long maxBytes) {
    if (maxBytes < MIN_BYTES || maxBytes > MAX_CAP) {
      throw new IllegalArgumentException("checkpoint size cap must be " + MIN_BYTES + ".." + MAX_CAP + " bytes, got " + maxBytes);
    }
    return maxBytes;
  }
}
