package dev.mayfly.catalog.click;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The outcome of parsing (and possibly validating) a configuration: the flattened graph, as
 * far as it could be built, and every error found.
 */
public record ClickResult(ClickConfig config, List<ClickError> errors) {

  public ClickResult {
    errors = List.copyOf(errors);
  }

  public boolean ok() {
    return errors.isEmpty();
  }

  /** Every error rendered as {@code config:LINE: message}, one a line. */
  public String errorText() {
    return errors.stream().map(ClickError::render).collect(Collectors.joining("\n"));
  }
}
