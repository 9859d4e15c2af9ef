package dev.mayfly.catalog.click;

/**
 * One problem in a Click configuration.
 *
 * @param line 1-based line, or 0 when the problem has no line (a whole-graph problem)
 * @param column 1-based column when known, else {@code null}
 * @param message what is wrong, without the {@code config:LINE:} landmark
 */
public record ClickError(int line, Integer column, String message) {

  public ClickError {
    if (message == null) {
      throw new IllegalArgumentException("message");
    }
  }

  public static ClickError at(int line, String message) {
    return new ClickError(line, null, message);
  }

  /** {@code config:LINE: message}, the landmark form the clickos runtime prints. */
  public String render() {
    return render("config");
  }

  /** {@code FILE:LINE: message}, or {@code FILE: message} when the line is unknown. */
  public String render(String file) {
    return line > 0 ? file + ":" + line + ": " + message : file + ": " + message;
  }

  @Override
  public String toString() {
    return render();
  }
}
