package dev.mayfly.agent.driver;

/**
 * A class of interchangeable shells: guests with the same number of ports and the
 * same limits can use any shell of the class. The pool keeps a target per class.
 */
public record ShellClass(int ports, long memoryBytes, int cpuWeight, int pidsMax) {
  public static final ShellClass FIREWALL = new ShellClass(2, 16L << 20, 100, 16);
}
