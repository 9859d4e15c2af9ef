package dev.mayfly.catalog.click;

import java.util.List;

/**
 * What the validator knows about one element class: port counts and processing in Click's
 * syntax, and optionally a check of its argument text.
 *
 * @param name class name
 * @param portCount e.g. {@code "1/1"}, {@code "1/-"}, {@code "0/1-2"}
 * @param processing e.g. {@code "a/a"}, {@code "h/l"}, {@code "a/ah"}
 * @param arguments argument checker ({@link ArgumentCheck#NONE} when none)
 */
public record ElementSpec(String name, PortCount portCount, String processing, ArgumentCheck arguments) {

  public ElementSpec {
    // validate the processing string eagerly
    for (char c : processing.replace("/", "").toCharArray()) {
      Processing.of(c);
    }
  }

  public static ElementSpec of(String name, String portCount, String processing) {
    return new ElementSpec(name, PortCount.parse(portCount), processing, ArgumentCheck.NONE);
  }

  public static ElementSpec of(String name, String portCount, String processing, ArgumentCheck check) {
    return new ElementSpec(name, PortCount.parse(portCount), processing, check);
  }

  public Processing input(int port) {
    return Processing.of(processing, true, port);
  }

  public Processing output(int port) {
    return Processing.of(processing, false, port);
  }

  /** Checks an element's argument text. */
  @FunctionalInterface
  public interface ArgumentCheck {

    ArgumentCheck NONE = config -> Checked.OK;

    Checked check(String config);
  }

  /**
   * Outcome of an argument check.
   *
   * @param errors problems, without the element prefix
   * @param outputsLow when &ge; 0, the configuration needs at least this many outputs
   * @param outputsHigh when &ge; 0, the configuration allows at most this many outputs
   */
  public record Checked(List<String> errors, int outputsLow, int outputsHigh) {

    public static final Checked OK = new Checked(List.of(), -1, -1);

    public static Checked errors(List<String> errors) {
      return new Checked(List.copyOf(errors), -1, -1);
    }

    public static Checked error(String error) {
      return new Checked(List.of(error), -1, -1);
    }
  }
}
