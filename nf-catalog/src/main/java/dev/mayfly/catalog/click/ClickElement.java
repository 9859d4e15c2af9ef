package dev.mayfly.catalog.click;

/**
 * One element of a flattened configuration.
 *
 * @param name full name; compound members are {@code outer/inner}, anonymous elements
 *     {@code Class@N}
 * @param className the element class
 * @param config raw argument text with {@code $variables} substituted (never null)
 * @param line 1-based line of the declaration
 * @param anonymous true when the element was not named in the source
 */
public record ClickElement(String name, String className, String config, int line, boolean anonymous) {

  /** {@code 'name :: Class'}, the way error messages name an element. */
  public String describe() {
    return "'" + name + " :: " + className + "'";
  }
}
