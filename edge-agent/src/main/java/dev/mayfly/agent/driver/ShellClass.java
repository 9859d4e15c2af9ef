package dev.mayfly.agent.driver;

/**
 * A class of interchangeable shells: guests with the same number of ports and the
 * same limits can use any shell of the class. The pool keeps a target per class.
 *
 * <p>{@code xconnectMask} (bit i: port i is cross-connected) lets a driver prepare more of
 * the execute half ahead: the sandbox driver puts the host end of such a port into its own
 * cross-connect bridge at prepare, so a boot only enslaves the subscriber's interface.
 */
public record ShellClass(int ports, long memoryBytes, int cpuWeight, int pidsMax,
    int xconnectMask) {
  /** The personal firewall's shells: {@code access} (port 0) cross-connected, {@code core} on a bridge. */
  public static final ShellClass FIREWALL = new ShellClass(2, 16L << 20, 100, 16, 0b01);

  /** A class whose ports are not cross-connected. */
  public ShellClass(int ports, long memoryBytes, int cpuWeight, int pidsMax) {
    this(ports, memoryBytes, cpuWeight, pidsMax, 0);
  }
}
