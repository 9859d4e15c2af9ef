package dev.mayfly.agent;

import dev.mayfly.agent.driver.DriverContext;
import dev.mayfly.agent.driver.Fingerprint;
import dev.mayfly.agent.driver.GuestDriver;
import dev.mayfly.agent.driver.GuestDriverFactory;
import dev.mayfly.agent.driver.GuestException;
import dev.mayfly.agent.driver.ShellSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's guest driver, or the reason there is none. An unavailable driver is never
 * replaced by a stand-in: the agent registers without capabilities and refuses commands.
 */
public final class LoadedDriver {
  private static final Logger log = LoggerFactory.getLogger(LoadedDriver.class);

  private final String name;
  private final GuestDriver driver;
  private final ShellSource pool;
  private final Fingerprint fingerprint;
  private final String unavailableReason;
  private boolean recovered;

  private LoadedDriver(String name, GuestDriver driver, ShellSource pool, Fingerprint fp,
      String reason) {
    this.name = name;
    this.driver = driver;
    this.pool = pool;
    this.fingerprint = fp;
    this.unavailableReason = reason;
  }

  /** A working driver (fingerprint must say available). */
  public static LoadedDriver of(GuestDriver driver, Optional<ShellSource> pool) {
    Fingerprint fp = driver.fingerprint();
    if (!fp.available()) {
      return unavailable(driver.name(), fp.unavailableReason());
    }
    return new LoadedDriver(driver.name(), driver, pool.orElse(null), fp, null);
  }

  public static LoadedDriver unavailable(String name, String reason) {
    String r = reason == null || reason.isBlank() ? "unavailable (no reason given)" : reason;
    return new LoadedDriver(name, null, null, null, r);
  }

  /** Finds the factory named {@code name} through {@link ServiceLoader} and creates the driver. */
  public static LoadedDriver load(String name, DriverContext ctx, ClassLoader cl) {
    List<String> seen = new ArrayList<>();
    var it = ServiceLoader.load(GuestDriverFactory.class, cl).iterator();
    while (true) {
      GuestDriverFactory f;
      try {
        if (!it.hasNext()) {
          break;
        }
        f = it.next();
      } catch (java.util.ServiceConfigurationError e) {
        log.warn("skipping a driver factory that cannot be loaded: {}", e.getMessage());
        continue;
      }
      seen.add(f.name());
      if (!f.name().equals(name)) {
        continue;
      }
      GuestDriver d;
      try {
        d = f.create(ctx);
      } catch (GuestException | RuntimeException | LinkageError e) {
        log.warn("driver '{}' could not be created: {}", name, e.getMessage());
        return unavailable(name, "driver " + name + ": " + e.getMessage());
      }
      Fingerprint fp;
      try {
        fp = d.fingerprint();
      } catch (RuntimeException e) {
        d.close();
        return unavailable(name, "driver " + name + " fingerprint failed: " + e.getMessage());
      }
      if (!fp.available()) {
        d.close();
        return unavailable(name, fp.unavailableReason());
      }
      LoadedDriver partial = new LoadedDriver(name, d, null, fp, null);
      partial.recoverOnce(); // re-adopt old guests before a pool starts preparing shells
      try {
        LoadedDriver full = new LoadedDriver(name, d, f.createPool(d, ctx).orElse(null), fp, null);
        full.recovered = true;
        return full;
      } catch (GuestException | RuntimeException e) {
        log.warn("driver '{}': shell pool not started ({}); cold boots only", name, e.getMessage());
        return partial;
      }
    }
    return unavailable(name, "driver '" + name + "' is not installed in this agent (found: "
        + (seen.isEmpty() ? "none" : String.join(", ", seen)) + ")");
  }

  /**
   * Calls {@link GuestDriver#recover()} once (re-adopts guests of a previous agent process);
   * failures are logged, the agent carries on.
   */
  public synchronized void recoverOnce() {
    if (recovered || driver == null) {
      return;
    }
    recovered = true;
    try {
      var adopted = driver.recover();
      if (!adopted.isEmpty()) {
        log.info("re-adopted {} guest(s)", adopted.size());
      }
    } catch (GuestException | RuntimeException e) {
      log.warn("recovering guests failed: {}", e.getMessage());
    }
  }

  public String name() {
    return name;
  }

  public boolean available() {
    return driver != null;
  }

  /** The driver; only when {@link #available()}. */
  public GuestDriver driver() {
    if (driver == null) {
      throw new IllegalStateException("driver unavailable: " + unavailableReason);
    }
    return driver;
  }

  public Optional<ShellSource> pool() {
    return Optional.ofNullable(pool);
  }

  public Optional<Fingerprint> fingerprint() {
    return Optional.ofNullable(fingerprint);
  }

  public String unavailableReason() {
    return unavailableReason;
  }

  /** Closes the pool, then the driver (guests keep running). */
  public void close() {
    if (pool != null) {
      try {
        pool.close();
      } catch (RuntimeException e) {
        log.warn("closing shell pool: {}", e.getMessage());
      }
    }
    if (driver != null) {
      try {
        driver.close();
      } catch (RuntimeException e) {
        log.warn("closing driver: {}", e.getMessage());
      }
    }
  }
}
