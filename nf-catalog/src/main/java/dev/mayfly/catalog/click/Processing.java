package dev.mayfly.catalog.click;

/** Push/pull processing of a port, as in Click's {@code processing()} strings. */
public enum Processing {
  PUSH('h'), PULL('l'), AGNOSTIC('a');

  private final char code;

  Processing(char code) {
    this.code = code;
  }

  public char code() {
    return code;
  }

  static Processing of(char c) {
    return switch (c) {
      case 'h' -> PUSH;
      case 'l' -> PULL;
      case 'a' -> AGNOSTIC;
      default -> throw new IllegalArgumentException("bad processing code '" + c + "'");
    };
  }

  /**
   * The processing of a port from a Click processing string ({@code "a/ah"}: the last
   * character of each side repeats for higher ports; an empty side means agnostic).
   */
  public static Processing of(String processing, boolean input, int port) {
    int slash = processing.indexOf('/');
    String side = slash < 0 ? processing : input ? processing.substring(0, slash)
        : processing.substring(slash + 1);
    if (side.isEmpty()) {
      return AGNOSTIC;
    }
    return of(side.charAt(Math.min(port, side.length() - 1)));
  }

  public String word() {
    return switch (this) {
      case PUSH -> "push";
      case PULL -> "pull";
      case AGNOSTIC -> "agnostic";
    };
  }
}
