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
    int x = 0;
    for (int i = 0; i < ports.size() && i < 31; i++) {
      if (ports.get(i).xconnect() != null) {
        x |= 1 << i;
      }
    }
    return new ShellClass(ports.size(), memoryBytes, cpuWeight, pidsMax, x);
  }
}
