package dev.mayfly.catalog;

/**
 * One problem found in a descriptor.
 *
 * @param field JSON-path style field name ({@code ports[1].name}, {@code resources.memoryMiB})
 * @param line 1-based line in the YAML source, or 0 when unknown (JSON / object input)
 * @param message what is wrong
 */
public record DescriptorIssue(String field, int line, String message) {

  @Override
  public String toString() {
    return (line > 0 ? "line " + line + ": " : "") + field + ": " + message;
  }
}
