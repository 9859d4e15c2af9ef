package dev.mayfly.agent.driver;

import java.util.List;
import java.util.Map;

/** What to run: identity, Click configuration, ports and limits. */
public record GuestSpec(
    String guestId,
    long generation,
    String nfType,
    String clickConfig,
    List<PortSpec> ports,
    long memoryBytes,
    int cpuWeight,
    int pidsMax,
    Map<String, String> labels) {

  public ShellClass shellClass() {
    return new ShellClass(ports.size(), memoryBytes, cpuWeight, pidsMax);
  }
}
