package dev.mayfly.catalog.click;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A flattened Click configuration: every compound expanded, every {@code $variable}
 * substituted. Elements keep source order.
 */
public record ClickConfig(List<ClickElement> elements, List<ClickConnection> connections,
    List<String> requirements) {

  public ClickConfig {
    elements = List.copyOf(elements);
    connections = List.copyOf(connections);
    requirements = List.copyOf(requirements);
  }

  public static ClickConfig empty() {
    return new ClickConfig(List.of(), List.of(), List.of());
  }

  public Optional<ClickElement> element(String name) {
    return elements.stream().filter(e -> e.name().equals(name)).findFirst();
  }

  /** Elements by name (the first one wins if a name is duplicated). */
  public Map<String, ClickElement> elementsByName() {
    Map<String, ClickElement> m = new LinkedHashMap<>();
    for (ClickElement e : elements) {
      m.putIfAbsent(e.name(), e);
    }
    return m;
  }

  /** The flattened configuration as Click text (one declaration, then one connection a line). */
  public String unparse() {
    StringBuilder sb = new StringBuilder();
    for (String r : requirements) {
      sb.append("require(").append(r).append(");\n");
    }
    for (ClickElement e : elements) {
      sb.append(e.name()).append(" :: ").append(e.className());
      if (!e.config().isEmpty()) {
        sb.append('(').append(e.config()).append(')');
      }
      sb.append(";\n");
    }
    for (ClickConnection c : connections) {
      sb.append(c.from()).append(" [").append(c.fromPort()).append("] -> [").append(c.toPort())
          .append("] ").append(c.to()).append(";\n");
    }
    return sb.toString();
  }
}
