package dev.mayfly.agent.driver;

/** A driver operation failed; {@link #code()} is reported to the controller as error_code. */
public class GuestException extends Exception {
  /** Stable error codes (southbound CommandResult.error_code). */
  public enum Code {
    NOT_FOUND, INVALID_STATE, CONFIG_REJECTED, CAPACITY, UNSUPPORTED, INTERNAL
  }

  private final Code code;

  public GuestException(Code code, String message) {
    super(message);
    this.code = code;
  }

  public GuestException(Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public Code code() {
    return code;
  }
}
