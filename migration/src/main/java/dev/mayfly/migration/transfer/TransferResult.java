package dev.mayfly.migration.transfer;

/**
 * Outcome of a successful send.
 *
 * @param bytes checkpoint bytes the receiver verified
 * @param millis from the start of the send (or of the connect, for a one-call send) to the
 *     receiver's DONE, in milliseconds (fractional)
 * @param report what the receiver's commit returned (live migration: its timings), or empty
 */
public record TransferResult(long bytes, double millis, String report) {
  public TransferResult {
    report = report == null ? "" : report;
  }

  public TransferResult(long bytes, double millis) {
    this(bytes, millis, "");
  }
}
