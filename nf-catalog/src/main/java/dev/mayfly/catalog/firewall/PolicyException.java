package dev.mayfly.catalog.firewall;

import java.util.List;
import java.util.stream.Collectors;

/** A policy that cannot be compiled, with every reason. */
public class PolicyException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;
  private final transient List<PolicyError> errors;

  public PolicyException(List<PolicyError> errors) {
    super(errors.stream().map(PolicyError::toString).collect(Collectors.joining("; ")));
    this.errors = List.copyOf(errors);
  }

  public List<PolicyError> errors() {
    return errors;
  }
}
