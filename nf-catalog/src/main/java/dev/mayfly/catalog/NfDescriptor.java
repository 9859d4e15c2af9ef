package dev.mayfly.catalog;

import java.util.List;
import java.util.Objects;

/**
 * A network-function descriptor: what the catalog stores and what an NF instance is
 * created from. Immutable; build it with {@link DescriptorLoader} (YAML) or directly and
 * check it with {@link DescriptorValidator}.
 *
 * @param name DNS-label style name, the catalog key ({@code ^[a-z][a-z0-9-]{0,62}$})
 * @param version free-form version string
 * @param description optional
 * @param vendor optional
 * @param ports the guest's ports, in the order the Click configuration uses them
 * @param resources memory / cpu / pids limits of one guest
 * @param clickConfig the Click configuration the guest runs
 */
public record NfDescriptor(
    String name,
    String version,
    String description,
    String vendor,
    List<Port> ports,
    Resources resources,
    String clickConfig) {

  public NfDescriptor {
    ports = ports == null ? List.of() : List.copyOf(ports);
  }

  /** A port of the guest, named as the Click configuration names its device. */
  public record Port(String name, String description) {}

  /** Per-guest limits. {@code cpuWeight} and {@code pidsMax} default to 100 and 16. */
  public record Resources(int memoryMiB, int cpuWeight, int pidsMax) {
    public static final int DEFAULT_CPU_WEIGHT = 100;
    public static final int DEFAULT_PIDS_MAX = 16;

    public long memoryBytes() {
      return memoryMiB * 1024L * 1024L;
    }
  }

  public boolean hasPort(String portName) {
    return ports.stream().anyMatch(p -> Objects.equals(p.name(), portName));
  }
}
