package dev.mayfly.catalog.click;

/**
 * One connection {@code from[fromPort] -> [toPort]to} of a flattened configuration.
 *
 * @param line 1-based line of the connection in the source
 */
public record ClickConnection(String from, int fromPort, String to, int toPort, int line) {

  @Override
  public String toString() {
    return from + " [" + fromPort + "] -> [" + toPort + "] " + to;
  }
}
