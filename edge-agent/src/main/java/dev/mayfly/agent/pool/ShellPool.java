package dev.mayfly.agent.pool;

import dev.mayfly.agent.driver.GuestDriver;
import dev.mayfly.agent.driver.GuestException;
import dev.mayfly.agent.driver.Shell;
import dev.mayfly.agent.driver.ShellClass;
import dev.mayfly.agent.driver.ShellSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepared shells per {@link ShellClass}, kept at a target size by background refill threads
 * (the "prepare" half of LightVM's split toolstack). {@link #take} never blocks: an empty pool
 * returns empty and the caller boots cold. A take wakes the refill threads.
 *
 * <p>Refill is the background half and yields to creates: during a burst (takes at
 * {@value #BURST_RATE}/s or more, a rate that decays with a time constant of 1 s) nothing
 * refills, not even an empty class: a shell prepared during the burst costs the same CPU as a
 * cold boot and only takes it from the creates (profiled: a refill thread per agent took 70%
 * of the host's CPU during a 10 000-firewall bulk). After the burst every thread refills, at
 * background priority ({@link GuestDriver#backgroundThread}: nice +10 for the sandbox
 * driver), so an agent whose burst is over does not take CPU from another agent, the
 * controller or the guests on the same host (profiled: 8% of a bulk's CPU before).
 *
 * <p>Metrics per class: ready, target, hits, misses, prepared, failures, refill latency
 * (last and mean, ms), last error.
 */
public final class ShellPool implements ShellSource {
  private static final Logger log = LoggerFactory.getLogger(ShellPool.class);

  private final GuestDriver driver;
  private final Map<ShellClass, Bucket> buckets = new ConcurrentHashMap<>();
  private final Semaphore wake = new Semaphore(0);
  private final int threads;
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean closed;
  private volatile boolean suspended;
  /** Takes per second from which creates count as a burst (see the class comment). */
  static final double BURST_RATE = 20;
  private static final double RATE_TAU_NANOS = 1e9;
  private final Object rateLock = new Object();
  private double takeRate;
  private long takeRateAt = System.nanoTime();

  private static final class Bucket {
    final ShellClass cls;
    final ConcurrentLinkedDeque<Shell> shells = new ConcurrentLinkedDeque<>();
    final AtomicInteger ready = new AtomicInteger();
    final AtomicInteger inFlight = new AtomicInteger();
    volatile int target;
    final AtomicLong hits = new AtomicLong();
    final AtomicLong misses = new AtomicLong();
    final AtomicLong prepared = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong refillNanosTotal = new AtomicLong();
    volatile long lastRefillNanos;
    volatile String lastError;
    volatile long backoffUntil;

    Bucket(ShellClass cls, int target) {
      this.cls = cls;
      this.target = target;
    }
  }

  /** Pool metrics of one class. */
  public record ClassStats(ShellClass shellClass, int ready, int target, long hits, long misses,
      long prepared, long failures, double lastRefillMs, double meanRefillMs, String lastError) {}

  public ShellPool(GuestDriver driver, Map<ShellClass, Integer> targets, int threads) {
    this.driver = driver;
    this.threads = Math.max(1, threads);
    targets.forEach((c, t) -> buckets.put(c, new Bucket(c, Math.max(0, t))));
  }

  /** Starts the refill threads. */
  public synchronized ShellPool start() {
    if (!workers.isEmpty()) {
      return this;
    }
    for (int i = 0; i < threads; i++) {
      Thread t = new Thread(this::refillLoop, "shell-pool-refill-" + i);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
    return this;
  }

  /** Sets (or adds) the target of one class; 0 drains it. */
  public void setTarget(ShellClass cls, int target) {
    Bucket b = buckets.computeIfAbsent(cls, c -> new Bucket(c, 0));
    b.target = Math.max(0, target);
    while (b.ready.get() > b.target) {
      Shell s = b.shells.pollLast();
      if (s == null) {
        break;
      }
      b.ready.decrementAndGet();
      s.discard();
    }
    wake.release();
  }

  @Override
  public Optional<Shell> take(ShellClass shellClass) {
    Bucket b = buckets.get(shellClass);
    if (b == null) {
      return Optional.empty();
    }
    noteTake(System.nanoTime());
    Shell s = b.shells.pollFirst();
    if (s == null) {
      b.misses.incrementAndGet();
      wake.release();
      return Optional.empty();
    }
    b.ready.decrementAndGet();
    b.hits.incrementAndGet();
    if (!busy()) { // in a burst the refill waits (see neediest)
      wake.release();
    }
    return Optional.of(s);
  }

  @Override
  public int ready() {
    int n = 0;
    for (Bucket b : buckets.values()) {
      n += b.ready.get();
    }
    return n;
  }

  @Override
  public int target() {
    int n = 0;
    for (Bucket b : buckets.values()) {
      n += b.target;
    }
    return n;
  }

  public List<ClassStats> stats() {
    List<ClassStats> out = new ArrayList<>();
    for (Bucket b : buckets.values()) {
      long p = b.prepared.get();
      out.add(new ClassStats(b.cls, b.ready.get(), b.target, b.hits.get(), b.misses.get(), p,
          b.failures.get(), b.lastRefillNanos / 1e6,
          p == 0 ? 0 : b.refillNanosTotal.get() / 1e6 / p, b.lastError));
    }
    return out;
  }

  /** Metrics as flat key/values (for the node CLI and logs). */
  public Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    for (ClassStats s : stats()) {
      String k = "class[ports=" + s.shellClass().ports() + ",mem=" + (s.shellClass().memoryBytes()
          >> 20) + "MiB,cpu=" + s.shellClass().cpuWeight() + ",pids=" + s.shellClass().pidsMax()
          + (s.shellClass().xconnectMask() == 0 ? "" : ",xconnect=0x"
          + Integer.toHexString(s.shellClass().xconnectMask())) + "]";
      m.put(k, String.format("ready=%d target=%d hits=%d misses=%d prepared=%d failures=%d "
          + "refill_last_ms=%.3f refill_mean_ms=%.3f%s", s.ready(), s.target(), s.hits(),
          s.misses(), s.prepared(), s.failures(), s.lastRefillMs(), s.meanRefillMs(),
          s.lastError() == null ? "" : " last_error=\"" + s.lastError() + "\""));
    }
    return m;
  }

  /** Blocks until every class is at its target or the timeout passes; true if full. */
  public boolean awaitFull(long timeout, TimeUnit unit) throws InterruptedException {
    long end = System.nanoTime() + unit.toNanos(timeout);
    while (System.nanoTime() < end) {
      boolean full = true;
      for (Bucket b : buckets.values()) {
        full &= b.ready.get() >= b.target;
      }
      if (full) {
        return true;
      }
      Thread.sleep(5);
    }
    return false;
  }

  /** Stops refilling until {@link #resume()} (benchmarks measure boots without it). */
  public void suspend() {
    suspended = true;
  }

  public void resume() {
    suspended = false;
    wake.release();
  }

  private void noteTake(long now) {
    synchronized (rateLock) {
      takeRate = takeRate * Math.exp(-(now - takeRateAt) / RATE_TAU_NANOS) + 1e9 / RATE_TAU_NANOS;
      takeRateAt = now;
    }
  }

  /** Takes per second, decayed to now. */
  double takeRate() {
    synchronized (rateLock) {
      return takeRate * Math.exp(-(System.nanoTime() - takeRateAt) / RATE_TAU_NANOS);
    }
  }

  /** True during a burst of creates (see the class comment). */
  boolean busy() {
    return takeRate() >= BURST_RATE;
  }

  /**
   * The class furthest below its target, or null. Refill is the background half and must not
   * starve creates: during a burst of takes it waits.
   */
  private Bucket neediest() {
    if (suspended || busy()) {
      return null;
    }
    Bucket best = null;
    int bestGap = 0;
    long now = System.nanoTime();
    for (Bucket b : buckets.values()) {
      int gap = b.target - b.ready.get() - b.inFlight.get();
      if (gap > bestGap && now >= b.backoffUntil) {
        best = b;
        bestGap = gap;
      }
    }
    return best;
  }

  private void refillLoop() {
    driver.backgroundThread(); // prepares yield the CPU to boots, controller and guests (nice +10)
    while (!closed) {
      Bucket b = neediest();
      if (b == null) {
        try {
          // during a burst look again soon: the rate decays without a wake-up
          wake.tryAcquire(busy() ? 50 : 200, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          return;
        }
        continue;
      }
      b.inFlight.incrementAndGet();
      long t0 = System.nanoTime();
      try {
        Shell s = driver.prepare(b.cls);
        long dt = System.nanoTime() - t0;
        b.lastRefillNanos = dt;
        b.refillNanosTotal.addAndGet(dt);
        b.prepared.incrementAndGet();
        // reserve the slot atomically: two refill threads must not both fill the last one
        int r = b.ready.get();
        while (!closed && r < b.target && !b.ready.compareAndSet(r, r + 1)) {
          r = b.ready.get();
        }
        if (closed || r >= b.target) {
          s.discard();
        } else {
          b.shells.addLast(s);
        }
      } catch (GuestException | RuntimeException e) {
        b.failures.incrementAndGet();
        b.lastError = e.getMessage();
        b.backoffUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        log.warn("shell pool: prepare failed ({}), retrying in 1 s", e.getMessage());
      } finally {
        b.inFlight.decrementAndGet();
      }
    }
  }

  /** Stops refilling and discards every waiting shell. */
  @Override
  public void close() {
    closed = true;
    wake.release(threads);
    for (Thread t : workers) {
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    java.util.concurrent.ConcurrentLinkedQueue<Shell> all =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    for (Bucket b : buckets.values()) {
      Shell s;
      while ((s = b.shells.pollFirst()) != null) {
        b.ready.decrementAndGet();
        all.add(s);
      }
    }
    discardBounded(all, CLOSE_TIMEOUT_MS);
  }

  /** How long {@link #close()} spends discarding prepared shells. */
  static final long CLOSE_TIMEOUT_MS = 20_000;

  /**
   * Discards shells with up to 4 threads until {@code timeoutMs} passes, logging progress;
   * shells left over stay as they are (the driver keeps their journal records, so the next agent
   * start destroys them). A large pool (thousands of shells) must not hold a shutdown for
   * minutes.
   */
  static void discardBounded(java.util.Queue<Shell> shells, long timeoutMs) {
    int n = shells.size();
    if (n == 0) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    AtomicInteger done = new AtomicInteger();
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < Math.min(4, n); t++) {
      Thread th = new Thread(() -> {
        Shell s;
        while (System.nanoTime() < deadline && (s = shells.poll()) != null) {
          try {
            s.discard();
          } catch (RuntimeException e) {
            log.warn("discarding {}: {}", s, e.getMessage());
          }
          done.incrementAndGet();
        }
      }, "shell-pool-close-" + t);
      th.setDaemon(true);
      th.start();
      ts.add(th);
    }
    for (Thread th : ts) {
      while (th.isAlive()) {
        try {
          th.join(2000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        if (th.isAlive()) {
          log.info("shell pool: discarded {}/{} prepared shells", done.get(), n);
        }
      }
    }
    if (!shells.isEmpty()) {
      log.warn("shell pool: {} prepared shells left after {} s (the next agent start destroys"
          + " them)", shells.size(), timeoutMs / 1000);
    }
  }
}
