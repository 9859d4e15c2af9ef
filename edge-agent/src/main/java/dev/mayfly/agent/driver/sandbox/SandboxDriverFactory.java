package dev.mayfly.agent.driver.sandbox;

import dev.mayfly.agent.driver.DriverContext;
import dev.mayfly.agent.driver.GuestDriver;
import dev.mayfly.agent.driver.GuestDriverFactory;
import dev.mayfly.agent.driver.GuestException;
import dev.mayfly.agent.driver.ShellClass;
import dev.mayfly.agent.driver.ShellSource;
import dev.mayfly.agent.pool.ShellPool;
import java.util.Map;
import java.util.Optional;

/**
 * ServiceLoader entry for {@code --driver sandbox}. Options read from the context:
 * MAYFLY_CLICKOS, MAYFLY_GUEST_ROOT, MAYFLY_USERNS, MAYFLY_GUEST_STDERR (see
 * {@link SandboxOptions#from}); MAYFLY_POOL_SIZE / "pool-size" (warm firewall shells, default
 * 8) and MAYFLY_POOL_THREADS (refill threads, default 1).
 */
public final class SandboxDriverFactory implements GuestDriverFactory {
  @Override
  public String name() {
    return SandboxDriver.NAME;
  }

  @Override
  public GuestDriver create(DriverContext context) throws GuestException {
    return new SandboxDriver(context.driverDir(SandboxDriver.NAME),
        SandboxOptions.from(context.options()));
  }

  @Override
  public Optional<ShellSource> createPool(GuestDriver driver, DriverContext context)
      throws GuestException {
    Map<String, String> o = context.options();
    int size = parse(o.getOrDefault("MAYFLY_POOL_SIZE", o.getOrDefault("pool-size", "8")),
        "MAYFLY_POOL_SIZE");
    int threads = parse(o.getOrDefault("MAYFLY_POOL_THREADS", "1"), "MAYFLY_POOL_THREADS");
    if (size <= 0) {
      return Optional.empty();
    }
    ShellPool pool = new ShellPool(driver, Map.of(ShellClass.FIREWALL, size), Math.max(1, threads));
    pool.start();
    return Optional.of(pool);
  }

  private static int parse(String v, String what) throws GuestException {
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new GuestException(GuestException.Code.CONFIG_REJECTED, what + ": not a number: " + v);
    }
  }
}
