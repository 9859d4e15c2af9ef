package dev.mayfly.agent.driver;

import java.util.Optional;

/**
 * A pool of prepared shells as the agent sees it (implemented by the driver module's
 * pool, e.g. {@code dev.mayfly.agent.pool.ShellPool}). All methods are thread-safe and
 * must not block for long.
 */
public interface ShellSource extends AutoCloseable {

  /** A ready shell of {@code shellClass}, or empty when none is ready (cold boot). */
  Optional<Shell> take(ShellClass shellClass);

  /** Shells prepared and waiting, over all classes. */
  int ready();

  /** Target size, over all classes. */
  int target();

  /** Stops preparing and discards the waiting shells. */
  @Override
  void close();
}
