package dev.mayfly.catalog;

import java.util.List;

/** A descriptor could not be read or is invalid; {@link #issues()} names every problem. */
public class DescriptorException extends RuntimeException {

  private final transient List<DescriptorIssue> issues;

  public DescriptorException(String source, List<DescriptorIssue> issues) {
    super(source + ": " + issues.get(0) + (issues.size() > 1 ? " (and " + (issues.size() - 1) + " more)" : ""));
    this.issues = List.copyOf(issues);
  }

  public List<DescriptorIssue> issues() {
    return issues;
  }
}
