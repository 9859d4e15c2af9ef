package dev.mayfly.migration.checkpoint;

import java.io.IOException;

/**
 * A checkpoint could not be read or written because it breaks the {@code MFCK} format: wrong
 * magic or version, a truncated or oversized input, a length that does not fit, malformed UTF-8,
 * or a checksum mismatch. The message names the part of the container and the byte offset.
 *
 * <p>It extends {@link IOException} (like {@code java.util.zip.ZipException}) so stream readers
 * can declare one exception type; catch this subtype to tell bad input from a failing stream.
 */
public class CheckpointFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final long offset;
  private final String part;

  public CheckpointFormatException(String part, long offset, String message) {
    super(format(part, offset, message));
    this.part = part;
    this.offset = offset;
  }

  private static String format(String part, long offset, String message) {
    StringBuilder sb = new StringBuilder("invalid checkpoint: ");
    if (part != null) {
      sb.append(part);
      if (offset >= 0) sb.append(" at offset ").append(offset);
      sb.append(": ");
    } else if (offset >= 0) {
      sb.append("at offset ").append(offset).append(": ");
    }
    return sb.append(message).toString();
  }

  /** Byte offset from the start of the checkpoint where the problem was found, or -1. */
  public long offset() {
    return offset;
  }

  /** The part of the container being read (e.g. {@code "header"}, {@code "section 2 (ELEMENT_STATE)"}), or null. */
  public String part() {
    return part;
  }
}
