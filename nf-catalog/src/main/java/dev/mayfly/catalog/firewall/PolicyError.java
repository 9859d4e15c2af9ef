package dev.mayfly.catalog.firewall;

/**
 * One problem in a policy.
 *
 * @param field the field in JSON-path form, e.g. {@code rules[3].remoteCidr},
 *     {@code defaultInbound}, {@code ueIp}
 * @param message what is wrong
 */
public record PolicyError(String field, String message) {

  /** The rule index the error is about, or -1. */
  public int ruleIndex() {
    if (!field.startsWith("rules[")) {
      return -1;
    }
    int end = field.indexOf(']');
    try {
      return Integer.parseInt(field.substring(6, end));
    } catch (RuntimeException e) {
      return -1;
    }
  }

  @Override
  public String toString() {
    return field + ": " + message;
  }
}
