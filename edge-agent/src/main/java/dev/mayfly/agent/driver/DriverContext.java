package dev.mayfly.agent.driver;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a {@link GuestDriverFactory} gets from the agent.
 *
 * @param nodeName this node's name
 * @param stateDir the agent's state directory; a driver keeps its own files under
 *     {@code stateDir/<driver name>} (e.g. {@code sandbox/}) so a restarted agent can
 *     {@link GuestDriver#recover()} its guests
 * @param options agent settings as strings (e.g. "guest-slots", "data-plane-address",
 *     and every {@code MAYFLY_*} environment variable, name as given); never null
 */
public record DriverContext(String nodeName, Path stateDir, Map<String, String> options) {
  public DriverContext {
    options = options == null ? Map.of() : Map.copyOf(options);
  }

  /** {@code stateDir/<driverName>}, the driver's own directory. */
  public Path driverDir(String driverName) {
    return stateDir.resolve(driverName);
  }
}
