package dev.mayfly.migration.transfer;

import java.io.IOException;

/** A checkpoint transfer was refused, aborted, timed out or failed verification; the message says why. */
public class TransferException extends IOException {
  private static final long serialVersionUID = 1L;

  public TransferException(String message) {
    super(message);
  }

  public TransferException(String message, Throwable cause) {
    super(message, cause);
  }
}
