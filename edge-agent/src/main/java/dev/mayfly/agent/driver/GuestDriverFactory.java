package dev.mayfly.agent.driver;

import java.util.Optional;

/**
 * How the agent finds guest drivers: {@link java.util.ServiceLoader} over this interface.
 *
 * <p>A driver module registers its factory in
 * {@code META-INF/services/dev.mayfly.agent.driver.GuestDriverFactory} (one fully
 * qualified class name per line; the class needs a public no-argument constructor). The
 * agent picks the factory whose {@link #name()} equals {@code --driver} (default
 * {@code sandbox}), calls {@link #create}, then {@link GuestDriver#fingerprint()}. If no
 * factory has that name, {@code create} throws, or the fingerprint says unavailable, the
 * agent still registers, with no capabilities, zero guest slots and the reason in the
 * label {@code driver.unavailable}, and answers commands with {@code UNSUPPORTED}.
 */
public interface GuestDriverFactory {

  /** The value of {@code --driver} that selects this factory ("sandbox"). */
  String name();

  /**
   * Creates the driver. Should be cheap and must not start guests; throw
   * {@link GuestException} (any code) with a human-readable reason when the driver
   * cannot work on this host at all.
   */
  GuestDriver create(DriverContext context) throws GuestException;

  /**
   * The pool of prepared shells for {@code driver}, if this driver keeps one. The agent
   * takes shells from it for create/restore, reports its size in heartbeats and closes
   * it on shutdown (before closing the driver). Default: no pool (cold boots only).
   */
  default Optional<ShellSource> createPool(GuestDriver driver, DriverContext context)
      throws GuestException {
    return Optional.empty();
  }
}
