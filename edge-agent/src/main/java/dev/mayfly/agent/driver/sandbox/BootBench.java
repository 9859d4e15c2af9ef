package dev.mayfly.agent.driver.sandbox;

import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestSpec;
import dev.mayfly.agent.driver.PortSpec;
import dev.mayfly.agent.driver.Shell;
import dev.mayfly.agent.driver.ShellClass;
import dev.mayfly.agent.pool.ShellPool;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * {@code ./mayfly bench boot} (bench/boot/run.sh runs this): boot latency of firewall guests,
 * pooled and cold, as the node fills; memory per guest; density; destroy time. Peers measured
 * by run.sh in the same run (fork+exec of a static binary, crun run) are read from files and
 * reported as ratios. Output format: /work/shared/BENCH.md. The plot is drawn with Java2D
 * (headless AWT), no gnuplot needed.
 *
 * <p>A measured boot is {@link SandboxDriver#boot}: request to RUNNING with both ports plugged
 * (access unattached like a subscriber not yet attached, core on the bench's core bridge).
 */
public final class BootBench {
  static final String CORE_BRIDGE = "mfbcore";  // + index

  record Point(int running, double ms, boolean pooled) {}

  private final boolean quick;
  private final Path out;
  private final Map<String, Path> peerFiles;
  private final List<String> metrics = new ArrayList<>();
  private final List<String> peers = new ArrayList<>();
  private final List<String> ratios = new ArrayList<>();
  private final List<String[]> mdRows = new ArrayList<>();
  private final List<Point> points = new ArrayList<>();
  private final Map<String, double[]> lat = new LinkedHashMap<>();
  private SandboxDriver driver;
  private ShellPool pool;
  private final List<String> running = new ArrayList<>();
  private int seq;
  private Map<String, Double> lastTimings = Map.of();
  /** phase breakdown of the pooled measurements: name -> {attach[], guest[]} */
  private final Map<String, double[][]> phases = new LinkedHashMap<>();
  private final ShellClass cls;
  private int target;
  private double createFwRate = -1;
  private double createFwWall = -1;
  private double iproute2Rate = -1;
  private double createFwCpuMs = -1;
  /** create_fw: per phase of the CommandResult timings (queued, attach, boot, persist ...) */
  private final Map<String, double[]> fwPhases = new LinkedHashMap<>();

  BootBench(boolean quick, Path out, Map<String, Path> peerFiles) {
    this.quick = quick;
    this.out = out;
    this.peerFiles = peerFiles;
    this.cls = spec("x").shellClass();
  }

  /** A Linux bridge holds at most 1023 ports (BR_MAX_PORTS): one core bridge per 1000 guests. */
  static final int PER_BRIDGE = 1000;
  private final List<String> bridges = new ArrayList<>();

  private String bridgeFor(int index) throws IOException, InterruptedException {
    int k = index / PER_BRIDGE;
    while (bridges.size() <= k) {
      String br = CORE_BRIDGE + bridges.size();
      sh("ip", "link", "del", br);
      shOk("ip", "link", "add", br, "type", "bridge");
      sh("sysctl", "-qw", "net.ipv6.conf." + br + ".disable_ipv6=1");
      shOk("ip", "link", "set", br, "up");
      bridges.add(br);
    }
    return bridges.get(k);
  }

  static GuestSpec spec(String id) {
    return spec(id, CORE_BRIDGE + "0");
  }

  static GuestSpec spec(String id, String coreBridge) {
    return new GuestSpec(id, 1, "firewall",
        "fw :: FlowFirewall(TIMEOUT 300, OFFSET 14);\n"
            + "FromDevice(access) -> [0]fw[0] -> Queue -> ToDevice(core);\n"
            + "FromDevice(core) -> [1]fw[1] -> Queue -> ToDevice(access);\n",
        List.of(new PortSpec("access", null, null, null),
            new PortSpec("core", coreBridge, null, null)),
        16L << 20, 100, 16, Map.of("bench", "boot"));
  }

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    Path out = Path.of("bench/results");
    Map<String, Path> peerFiles = new LinkedHashMap<>();
    int guests = -1;
    int fwOnly = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--fw-only" -> fwOnly = Integer.parseInt(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        case "--guests" -> guests = Integer.parseInt(args[++i]);
        case "--peer" -> {
          String[] kv = args[++i].split("=", 2);
          peerFiles.put(kv[0], Path.of(kv[1]));
        }
        default -> {
          System.err.println("usage: BootBench [--quick] [--out DIR] [--guests N] "
              + "[--peer NAME=FILE]...");
          System.exit(2);
        }
      }
    }
    if (!NoxsNative.isAvailable()) {
      System.err.println("boot bench: libnoxs unavailable: " + NoxsNative.unavailabilityReason());
      System.exit(1);
    }
    BootBench b = new BootBench(quick, out, peerFiles);
    if (fwOnly > 0) { // a quick look at create_fw alone; prints, writes no result files
      b.fwOnly(fwOnly);
      return;
    }
    b.target = guests > 0 ? guests : quick ? 1000 : 4000;
    b.run();
  }

  private String newId() {
    return "bb-" + (seq++);
  }

  private double bootOne(Optional<Shell> shell) throws Exception {
    String id = newId();
    long t0 = System.nanoTime();
    GuestInfo g = driver.boot(spec(id, bridgeFor(running.size())), shell);
    double ms = (System.nanoTime() - t0) / 1e6;
    lastTimings = g.timingsMs();
    running.add(g.guestId());
    points.add(new Point(running.size() - 1, ms, shell.isPresent()));
    return ms;
  }

  /** n boots from a full, suspended pool. */
  private double[] pooled(String name, int n) throws Exception {
    pool.setTarget(cls, n);
    pool.resume();
    if (!pool.awaitFull(30 + n / 5, TimeUnit.SECONDS)) {
      log("pool did not fill: " + pool.describe());
    }
    pool.suspend();
    double[] r = new double[n];
    double[] attach = new double[n];
    double[] guest = new double[n];
    double[] persist = new double[n];
    for (int i = 0; i < n; i++) {
      Optional<Shell> s = pool.take(cls);
      while (s.isEmpty()) { // only pooled boots count here: let the pool catch up
        pool.resume();
        Thread.sleep(20);
        pool.suspend();
        s = pool.take(cls);
      }
      r[i] = bootOne(s);
      attach[i] = lastTimings.getOrDefault("attach", Double.NaN);
      guest[i] = lastTimings.getOrDefault("boot", Double.NaN);
      persist[i] = lastTimings.getOrDefault("persist", Double.NaN);
    }
    phases.put(name, new double[][] {attach, guest, persist});
    pool.setTarget(cls, 0);
    return r;
  }

  private double[] cold(int n) throws Exception {
    double[] r = new double[n];
    for (int i = 0; i < n; i++) {
      r[i] = bootOne(Optional.empty());
    }
    return r;
  }

  // ------------------------------------------------------------------ create_fw

  static final String ATTACH = "mfba"; // + index: the bench's subscriber attachments (veth, peer mfbuN)

  /** The firewall-shaped command the controller sends (FirewallProvisioner.create). */
  static dev.mayfly.southbound.v1.Command fwCommand(String id, String attachment, String bridge) {
    GuestSpec s = spec(id, bridge);
    return dev.mayfly.southbound.v1.Command.newBuilder().setCommandId("c-" + id).setGuestId(id)
        .setGeneration(1)
        .setCreate(dev.mayfly.southbound.v1.CreateGuest.newBuilder().setSpec(
            dev.mayfly.southbound.v1.GuestSpec.newBuilder().setNfType("firewall")
                .setClickConfig(s.clickConfig())
                .addPorts(dev.mayfly.southbound.v1.Port.newBuilder().setName("access")
                    .setXconnect(attachment))
                .addPorts(dev.mayfly.southbound.v1.Port.newBuilder().setName("core")
                    .setBridge(bridge))
                .setMemoryBytes(s.memoryBytes()).setCpuWeight(s.cpuWeight())
                .setPidsMax(s.pidsMax()).putLabels("mayfly.subscriber", id)))
        .build();
  }

  /** The shell class of create_fw's guests (access cross-connected). */
  static ShellClass fwCommandClass() {
    GuestSpec s = spec("x", "b");
    return new ShellClass(2, s.memoryBytes(), s.cpuWeight(), s.pidsMax(), 0b01);
  }

  /** On-CPU time of a task (first field of schedstat, ns), 0 if unreadable. */
  static long schedNanos(Path schedstat) {
    try {
      String t = Files.readString(schedstat).trim();
      return Long.parseLong(t.substring(0, t.indexOf(' ')));
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** On-CPU time per thread name (digits folded), ns. */
  static Map<String, Long> cpuByThread() {
    Map<String, Long> m = new LinkedHashMap<>();
    try (var ds = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path t : ds) {
        String name;
        try {
          name = Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+", "N");
        } catch (IOException e) {
          continue;
        }
        m.merge(name, schedNanos(t.resolve("schedstat")), Long::sum);
      }
    } catch (IOException e) {
      return m;
    }
    return m;
  }

  /** On-CPU time of every thread of this JVM (user + kernel), ns. */
  static long agentCpuNanos() {
    long sum = 0;
    try (var ds = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path t : ds) {
        sum += schedNanos(t.resolve("schedstat"));
      }
    } catch (IOException e) {
      return 0;
    }
    return sum;
  }

  private void ipBatch(List<String> lines) throws IOException, InterruptedException {
    Path f = Files.createTempFile("mayfly-bootbench-ip", ".batch");
    try {
      Files.write(f, lines);
      sh("ip", "-force", "-batch", f.toString());
    } finally {
      Files.deleteIfExists(f);
    }
  }

  /**
   * create_fw: n firewall-shaped CREATE commands (access cross-connected to a subscriber
   * attachment, core on a core bridge) handed at once to the agent's {@code CommandDispatcher}
   * (real driver, the agent's worker count, pool pre-filled to n and refilling as in
   * production). Latency: dispatch to result. Rate: n / (first dispatch .. last result).
   * Returns {latencies..., wall ms as the last element}.
   */
  private double[] createFw(int n) throws Exception {
    List<String> add = new ArrayList<>();
    List<String> del = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      add.add("link add " + ATTACH + i + " type veth peer name mfbu" + i);
      add.add("link set " + ATTACH + i + " up");
      del.add("link del " + ATTACH + i);
    }
    ipBatch(del);
    ipBatch(add);
    for (int i = 0; i < n; i++) {
      bridgeFor(i);
    }
    ShellClass fwCls = fwCommandClass();
    // a first subscriber before the burst, as on a node that has served creates before
    // (warms this path up; the pool is filled after it)
    GuestSpec first = spec("fw-first", bridges.get(0));
    driver.boot(new GuestSpec("fw-first", 1, "firewall", first.clickConfig(),
        List.of(new PortSpec("access", null, ATTACH + 0, null),
            new PortSpec("core", bridges.get(0), null, null)),
        first.memoryBytes(), first.cpuWeight(), first.pidsMax(), Map.of()), Optional.empty());
    driver.destroy("fw-first");
    pool.setTarget(fwCls, n);
    pool.resume();
    if (!pool.awaitFull(60 + n / 10, TimeUnit.SECONDS)) {
      log("create_fw: pool did not fill: " + pool.describe());
    }
    ExecutorService workers = Executors.newFixedThreadPool(dev.mayfly.agent.CommandDispatcher
        .defaultWorkers(), r -> {
          Thread t = new Thread(r, "bench-worker");
          t.setDaemon(true);
          return t;
        });
    dev.mayfly.agent.CommandDispatcher d = new dev.mayfly.agent.CommandDispatcher(
        dev.mayfly.agent.LoadedDriver.of(driver, Optional.of(pool)), workers);
    // one at a time first (the agent's share of a single PUT -> forwarding): dispatch to
    // result with nothing else queued, each from the full pool
    int nSingle = Math.min(100, Math.max(10, n / 5));
    double[] single = new double[nSingle];
    List<String> singleIds = new ArrayList<>();
    for (int i = 0; i < nSingle; i++) {
      String id = "fw-s" + i;
      singleIds.add(id);
      java.util.concurrent.CompletableFuture<dev.mayfly.southbound.v1.CommandResult> f =
          new java.util.concurrent.CompletableFuture<>();
      long s0 = System.nanoTime();
      d.dispatch(fwCommand(id, ATTACH + (n - 1 - i), bridges.get(0)), f::complete);
      dev.mayfly.southbound.v1.CommandResult res = f.get(30, TimeUnit.SECONDS);
      single[i] = (System.nanoTime() - s0) / 1e6;
      if (!res.getOk()) {
        log("create_fw_single: " + res.getErrorCode() + " " + res.getErrorMessage());
      }
      running.add(id);
      destroyAll(List.of(id), 1); // frees the attachment for the burst
      Thread.sleep(2);
    }
    lat.put("create_fw_single", single);
    log("create_fw_single p50 " + fmt(pct(single, 50)) + " p99 " + fmt(pct(single, 99)) + " ms");
    pool.setTarget(fwCls, n);
    if (!pool.awaitFull(60 + n / 10, TimeUnit.SECONDS)) {
      log("create_fw: pool did not refill: " + pool.describe());
    }
    List<dev.mayfly.southbound.v1.Command> cmds = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = "fw-" + i;
      ids.add(id);
      cmds.add(fwCommand(id, ATTACH + i, bridgeFor(i)));
    }
    double[] r = new double[n + 1];
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(n);
    java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicReference<String> firstError =
        new java.util.concurrent.atomic.AtomicReference<>();
    long[] end = new long[1];
    long cpu0 = agentCpuNanos();
    Map<String, Long> byThread0 = cpuByThread();
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      int k = i;
      long sent = System.nanoTime();
      d.dispatch(cmds.get(i), res -> {
        long now = System.nanoTime();
        r[k] = (now - sent) / 1e6;
        synchronized (fwPhases) {
          for (var t : res.getTimingsList()) {
            fwPhases.computeIfAbsent(t.getPhase(), x -> new double[n])[k] = t.getMillis();
          }
        }
        if (!res.getOk()) {
          failed.incrementAndGet();
          firstError.compareAndSet(null, res.getErrorCode() + " " + res.getErrorMessage());
        }
        synchronized (end) {
          end[0] = Math.max(end[0], now);
        }
        done.countDown();
      });
    }
    if (!done.await(300, TimeUnit.SECONDS)) {
      log("create_fw: timed out with " + done.getCount() + " commands outstanding");
    }
    r[n] = (end[0] - t0) / 1e6;
    long agentCpu = agentCpuNanos() - cpu0;
    long guestCpu = 0;
    for (String id : ids) {
      int pid = driver.inspect(id).map(GuestInfo::pid).orElse(0);
      guestCpu += pid > 0 ? schedNanos(Path.of("/proc/" + pid + "/schedstat")) : 0;
    }
    createFwCpuMs = (agentCpu + guestCpu) / 1e6 / n;
    Map<String, Long> byThread = cpuByThread();
    byThread0.forEach((k, v) -> byThread.merge(k, -v, Long::sum));
    StringBuilder top = new StringBuilder();
    byThread.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
        .limit(8).forEach(e -> top.append(' ').append(e.getKey()).append('=')
            .append(fmt(e.getValue() / 1e6 / n)));
    log("create_fw agent cpu per guest by thread (ms):" + top);
    log("create_fw cpu per guest: agent " + fmt(agentCpu / 1e6 / n) + " ms (all its threads,"
        + " incl. kernel time of its syscalls) + guest " + fmt(guestCpu / 1e6 / n)
        + " ms (whole life so far, incl. its start in the pool)");
    for (var e : fwPhases.entrySet()) {
      log("create_fw phase " + e.getKey() + ": p50 " + fmt(pct(e.getValue(), 50)) + " p99 "
          + fmt(pct(e.getValue(), 99)) + " mean "
          + fmt(Arrays.stream(e.getValue()).average().orElse(0)) + " ms");
    }
    log("create_fw: " + n + " in " + fmt(r[n]) + " ms, " + failed.get() + " failed"
        + (firstError.get() == null ? "" : " (first: " + firstError.get() + ")") + "; pool "
        + pool.describe().values());
    pool.setTarget(fwCls, 0);
    workers.shutdown();
    running.addAll(ids);
    destroyAll(ids, 4);
    ipBatch(del);
    return r;
  }

  /**
   * Peer of create_fw: the same links made by iproute2 from one batch file (one process, one
   * netlink socket): per guest two veth pairs, the cross-connect bridge enslaving a fresh
   * attachment and one host end, the other host end on a core bridge; everything up. No
   * namespaces, no processes: only the link work. Returns guests/s.
   */
  private double iproute2Peer(int n) throws Exception {
    List<String> pre = new ArrayList<>();
    List<String> add = new ArrayList<>();
    List<String> del = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pre.add("link add " + ATTACH + i + " type veth peer name mfbu" + i);
      pre.add("link set " + ATTACH + i + " up");
      String p = "mfbp" + i;
      add.add("link add " + p + "h0 type veth peer name " + p + "g0");
      add.add("link add " + p + "h1 type veth peer name " + p + "g1");
      add.add("link add " + p + "x type bridge");
      add.add("link set " + ATTACH + i + " master " + p + "x");
      add.add("link set " + p + "h0 master " + p + "x up");
      add.add("link set " + p + "x up");
      add.add("link set " + p + "g0 up");
      add.add("link set " + p + "h1 master " + bridgeFor(i) + " up");
      add.add("link set " + p + "g1 up");
      del.add("link del " + p + "h0");
      del.add("link del " + p + "h1");
      del.add("link del " + p + "x");
      del.add("link del " + ATTACH + i);
    }
    ipBatch(del);
    ipBatch(pre);
    Path f = Files.createTempFile("mayfly-bootbench-ip", ".batch");
    long t0;
    long dt;
    try {
      Files.write(f, add);
      t0 = System.nanoTime();
      sh("ip", "-force", "-batch", f.toString());
      dt = System.nanoTime() - t0;
    } finally {
      Files.deleteIfExists(f);
      ipBatch(del);
    }
    return n / (dt / 1e9);
  }

  private long destroyAll(List<String> ids, int threads) throws Exception {
    ExecutorService ex = Executors.newFixedThreadPool(threads);
    long t0 = System.nanoTime();
    List<Future<?>> fs = new ArrayList<>();
    for (String id : ids) {
      fs.add(ex.submit(() -> {
        driver.destroy(id);
        return null;
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    long dt = System.nanoTime() - t0;
    ex.shutdown();
    running.removeAll(ids);
    return dt;
  }

  void fwOnly(int n) throws Exception {
    Path state = Files.createTempDirectory("mayfly-bootbench-");
    driver = new SandboxDriver(state, SandboxOptions.defaults()
        .withRootDir(Path.of("/run/mayfly/bench-root")));
    pool = new ShellPool(driver, Map.of(cls, 0), 2).start();
    try {
      destroyAll(new ArrayList<>(running), 2);
      double[] w = cold(10);
      destroyAll(new ArrayList<>(running), 2);
      double peer = iproute2Peer(n);
      double[] fw = createFw(n);
      double[] l = Arrays.copyOf(fw, n);
      System.out.println(latJson("create_fw", "ms", l));
      System.out.println(latJson("create_fw_single", "ms", lat.get("create_fw_single")));
      System.out.println(valJson("create_fw_rate", "guests/s", n / (fw[n] / 1e3)));
      System.out.println(valJson("iproute2_fw_links", "guests/s", peer));
    } finally {
      pool.close();
      destroyAll(new ArrayList<>(running), 4);
      driver.close();
      for (String br : bridges) {
        sh("ip", "link", "del", br);
      }
      try (var files = Files.walk(state)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  void run() throws Exception {
    String started = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    Path state = Files.createTempDirectory("mayfly-bootbench-");
    driver = new SandboxDriver(state, SandboxOptions.defaults()
        .withRootDir(Path.of("/run/mayfly/bench-root")));
    pool = new ShellPool(driver, Map.of(cls, 0), 2).start();
    pool.suspend();
    int reached = 0;
    double destroyMs = -1;
    double memPerGuestKiB = -1;
    String load0 = Files.readString(Path.of("/proc/loadavg")).trim();
    try {
      // warm-up (JIT, page cache)
      double[] w = cold(10);
      destroyAll(new ArrayList<>(running), 2);
      points.clear();
      log("warm-up cold boots p50 " + pct(w, 50) + " ms");

      int nCold = quick ? 50 : 200;
      lat.put("cold_boot", cold(nCold));
      destroyAll(new ArrayList<>(running), 4);
      log("cold_boot p50 " + pct(lat.get("cold_boot"), 50));

      int nPooled = quick ? 200 : 500;
      lat.put("pooled_boot", pooled("pooled_boot", nPooled));
      destroyAll(new ArrayList<>(running), 4);
      log("pooled_boot p50 " + pct(lat.get("pooled_boot"), 50));
      points.clear();

      // create_fw: firewall-shaped creates through the agent's command path (issue 5 bulk)
      int nFw = quick ? 500 : 2000;
      // the peer first: right after a destroy-all the kernel is still tearing namespaces
      // down under the RTNL lock, which would slow iproute2 down, not the agent
      iproute2Rate = iproute2Peer(nFw);
      log("peer iproute2_fw_links " + fmt(iproute2Rate) + " guests/s");
      double[] fw = createFw(nFw);
      createFwWall = fw[nFw];
      lat.put("create_fw", Arrays.copyOf(fw, nFw));
      createFwRate = nFw / (createFwWall / 1e3);
      log("create_fw p50 " + pct(lat.get("create_fw"), 50) + " ms, rate " + fmt(createFwRate)
          + " guests/s");
      points.clear();

      // fill the node; the pool refills in the background (as in production)
      pool.awaitFull(1, TimeUnit.SECONDS);
      long memBefore = memAvailableKiB();
      pool.setTarget(cls, 32);
      pool.resume();
      while (running.size() < target) {
        bootOne(pool.take(cls));
        if (running.size() % 500 == 0) {
          log("running " + running.size() + " " + pool.describe().values());
        }
      }
      int nAt = quick ? 100 : 200;
      String atName = "pooled_boot_at_" + target;
      lat.put(atName, pooled(atName, nAt));
      log(atName + " p50 " + pct(lat.get(atName), 50));
      pool.setTarget(cls, 0);
      Thread.sleep(500);
      long memAfter = memAvailableKiB();
      memPerGuestKiB = (memBefore - memAfter) / (double) running.size();
      reached = running.size();

      if (!quick) { // density: keep going to 8000 firewall guests (or the first failure)
        pool.setTarget(cls, 32);
        pool.resume();
        try {
          while (running.size() < 8000) {
            bootOne(pool.take(cls));
            if (running.size() % 1000 == 0) {
              log("density: running " + running.size());
            }
          }
        } catch (Exception e) {
          log("density stopped at " + running.size() + ": " + e.getMessage());
        }
        pool.setTarget(cls, 0);
        reached = running.size();
      }
      List<String> first = new ArrayList<>(running.subList(0, Math.min(1000, running.size())));
      destroyMs = destroyAll(first, 4) / 1e6;
      log("destroy_1000 " + destroyMs + " ms");
    } finally {
      pool.close();
      destroyAll(new ArrayList<>(running), 4);
      driver.close();
      for (String br : bridges) {
        sh("ip", "link", "del", br);
      }
      try (var files = Files.walk(state)) { // slot files are gone with their guests
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }

    for (var e : lat.entrySet()) {
      metrics.add(latJson(e.getKey(), "ms", e.getValue()));
      mdRows.add(latRow(e.getKey(), "ms", e.getValue()));
    }
    for (var e : phases.entrySet()) { // where a pooled boot's time goes
      metrics.add(latJson(e.getKey() + "_attach", "ms", e.getValue()[0]));
      mdRows.add(latRow(e.getKey() + "_attach", "ms", e.getValue()[0]));
      metrics.add(latJson(e.getKey() + "_guest", "ms", e.getValue()[1]));
      mdRows.add(latRow(e.getKey() + "_guest", "ms", e.getValue()[1]));
      metrics.add(latJson(e.getKey() + "_persist", "ms", e.getValue()[2]));
      mdRows.add(latRow(e.getKey() + "_persist", "ms", e.getValue()[2]));
    }
    if (createFwRate > 0) {
      metrics.add(valJson("create_fw_rate", "guests/s", createFwRate));
      mdRows.add(new String[] {"create_fw_rate", "guests/s", "", "", "", "", "",
          fmt(createFwRate)});
    }
    if (createFwCpuMs > 0) {
      metrics.add(valJson("create_fw_cpu", "ms/guest", createFwCpuMs));
      mdRows.add(new String[] {"create_fw_cpu (agent + guest CPU per create)", "ms/guest", "", "",
          "", "", "", fmt(createFwCpuMs)});
    }
    if (iproute2Rate > 0) {
      peers.add(valJson("iproute2_fw_links", "guests/s", iproute2Rate));
      mdRows.add(new String[] {"peer iproute2_fw_links (links only)", "guests/s", "", "", "", "",
          "", fmt(iproute2Rate)});
      ratios.add(String.format(Locale.ROOT,
          "{\"name\": \"create_fw_rate/iproute2_fw_links\", \"value\": %s}",
          num(createFwRate / iproute2Rate)));
    }
    metrics.add(valJson("memory_per_guest", "KiB", memPerGuestKiB));
    mdRows.add(new String[] {"memory_per_guest", "KiB", "", "", "", "", "",
        fmt(memPerGuestKiB)});
    metrics.add(String.format(Locale.ROOT,
        "{\"name\": \"max_guests\", \"unit\": \"guests\", \"value\": %d}", reached));
    mdRows.add(new String[] {"max_guests", "guests", "", "", "", "", "", Integer.toString(reached)});
    metrics.add(valJson("destroy_1000", "ms", destroyMs));
    mdRows.add(new String[] {"destroy_1000", "ms", "", "", "", "", "", fmt(destroyMs)});
    double[] pooled = lat.get("pooled_boot");
    for (var p : peerFiles.entrySet()) {
      double[] v = readPeer(p.getValue());
      if (v.length == 0) {
        continue;
      }
      peers.add(latJson(p.getKey(), "ms", v));
      mdRows.add(latRow("peer " + p.getKey(), "ms", v));
      if (p.getKey().equals("crun_run")) {
        ratios.add(String.format(Locale.ROOT,
            "{\"name\": \"crun_run/pooled_boot\", \"p50\": %s, \"p99\": %s}",
            num(pct(v, 50) / pct(pooled, 50)), num(pct(v, 99) / pct(pooled, 99))));
      }
    }
    double[] at = lat.get("pooled_boot_at_" + target);
    ratios.add(String.format(Locale.ROOT,
        "{\"name\": \"pooled_boot_at_%d/pooled_boot\", \"p50\": %s, \"p99\": %s}", target,
        num(pct(at, 50) / pct(pooled, 50)), num(pct(at, 99) / pct(pooled, 99))));
    write(started, load0);
  }

  // ------------------------------------------------------------------ output

  private void write(String started, String load0) throws IOException {
    Files.createDirectories(out);
    String host = String.format(Locale.ROOT,
        "{\"cpus\": %d, \"mem_gib\": %d, \"kernel\": \"%s\", \"java\": \"%s\", "
            + "\"loadavg_at_start\": \"%s\"}",
        Runtime.getRuntime().availableProcessors(), Math.round(memTotalKiB() / 1048576.0),
        System.getProperty("os.version"), System.getProperty("java.version"), load0);
    String json = "{\n  \"bench\": \"boot\",\n  \"started\": \"" + started + "\",\n  \"host\": "
        + host + ",\n  \"params\": {\"guests\": " + target + ", \"quick\": " + quick
        + ", \"shell_class\": \"2 ports, 16 MiB, cpu 100, pids 16\", \"destroy_threads\": 4},\n"
        + "  \"metrics\": [\n    " + String.join(",\n    ", metrics) + "\n  ],\n"
        + "  \"peers\": [\n    " + String.join(",\n    ", peers) + "\n  ],\n"
        + "  \"ratios\": [\n    " + String.join(",\n    ", ratios) + "\n  ]\n}\n";
    Files.writeString(out.resolve("boot.json"), json);
    StringBuilder md = new StringBuilder("# boot benchmark\n\n");
    md.append("Started ").append(started).append(", ").append(quick ? "quick run, " : "")
        .append("filled to ").append(target).append(" guests. Load average at start: ")
        .append(load0).append(".\n\n");
    md.append("| metric | unit | n | p50 | p90 | p99 | max | value |\n");
    md.append("|---|---|---|---|---|---|---|---|\n");
    for (String[] r : mdRows) {
      md.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    md.append("\n| ratio | p50 | p99 |\n|---|---|---|\n");
    for (String r : ratios) {
      if (r.contains("\"value\"")) {
        md.append("| ").append(r.replaceAll(".*\"name\": \"([^\"]+)\", \"value\": ([^}]+)}.*",
            "$1 | $2 (value) |")).append("\n");
        continue;
      }
      md.append("| ").append(r.replaceAll(".*\"name\": \"([^\"]+)\", \"p50\": ([^,]+), \"p99\": "
          + "([^}]+)}.*", "$1 | $2 | $3")).append(" |\n");
    }
    md.append("\nPlot: boot-latency.png (boot latency against running guests; blue pooled, "
        + "red cold; drawn with Java2D).\n");
    Files.writeString(out.resolve("boot.md"), md.toString());
    plot(out.resolve("boot-latency.png"));
    System.out.println(md);
  }

  private void plot(Path file) throws IOException {
    int w = 900;
    int h = 500;
    int l = 70;
    int r = 20;
    int t = 30;
    int b = 50;
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, w, h);
    int maxX = Math.max(1, points.stream().mapToInt(Point::running).max().orElse(1));
    double[] all = points.stream().mapToDouble(Point::ms).sorted().toArray();
    // y axis to the 95th percentile x 1.5: the few slow outliers are clipped to the top
    double maxY = all.length == 0 ? 1 : Math.max(0.5, all[(int) (all.length * 0.95)] * 1.5);
    g.setColor(Color.BLACK);
    g.drawLine(l, h - b, w - r, h - b);
    g.drawLine(l, t, l, h - b);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (int i = 0; i <= 5; i++) {
      int x = l + (w - l - r) * i / 5;
      g.drawString(Integer.toString(maxX * i / 5), x - 10, h - b + 18);
      double y = maxY * i / 5;
      int py = h - b - (int) ((h - t - b) * i / 5.0);
      g.drawString(String.format(Locale.ROOT, "%.2f", y), 10, py + 4);
      g.setColor(new Color(230, 230, 230));
      g.drawLine(l + 1, py, w - r, py);
      g.setColor(Color.BLACK);
    }
    g.drawString("running guests", w / 2 - 40, h - 12);
    g.drawString("boot latency (ms), request -> RUNNING with ports attached", l, 20);
    for (Point p : points) {
      int x = l + (int) ((w - l - r) * (double) p.running() / maxX);
      int y = h - b - (int) ((h - t - b) * Math.min(p.ms(), maxY) / maxY);
      g.setColor(p.pooled() ? new Color(30, 90, 200, 140) : new Color(200, 40, 40, 140));
      g.fillOval(x - 2, y - 2, 4, 4);
    }
    // p50 per bucket of pooled boots
    int buckets = 20;
    g.setStroke(new BasicStroke(2));
    g.setColor(new Color(0, 40, 120));
    int px = -1;
    int py = -1;
    for (int i = 0; i < buckets; i++) {
      int lo = maxX * i / buckets;
      int hi = maxX * (i + 1) / buckets;
      double[] v = points.stream().filter(p -> p.pooled() && p.running() >= lo
          && p.running() < hi).mapToDouble(Point::ms).toArray();
      if (v.length < 3) {
        continue;
      }
      int x = l + (int) ((w - l - r) * ((lo + hi) / 2.0) / maxX);
      int y = h - b - (int) ((h - t - b) * Math.min(pct(v, 50), maxY) / maxY);
      if (px >= 0) {
        g.drawLine(px, py, x, y);
      }
      px = x;
      py = y;
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }

  static double pct(double[] v, double p) {
    if (v.length == 0) {
      return Double.NaN;
    }
    double[] s = v.clone();
    Arrays.sort(s);
    int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
    return s[Math.max(0, Math.min(s.length - 1, i))];
  }

  static String num(double d) {
    return Double.isFinite(d) ? String.format(Locale.ROOT, "%.3f", d) : "null";
  }

  static String fmt(double d) {
    return num(d);
  }

  static String latJson(String name, String unit, double[] v) {
    return String.format(Locale.ROOT,
        "{\"name\": \"%s\", \"unit\": \"%s\", \"n\": %d, \"p50\": %s, \"p90\": %s, \"p99\": %s, "
            + "\"max\": %s}", name, unit, v.length, num(pct(v, 50)), num(pct(v, 90)),
        num(pct(v, 99)), num(pct(v, 100)));
  }

  static String[] latRow(String name, String unit, double[] v) {
    return new String[] {name, unit, Integer.toString(v.length), num(pct(v, 50)),
        num(pct(v, 90)), num(pct(v, 99)), num(pct(v, 100)), ""};
  }

  static String valJson(String name, String unit, double v) {
    return String.format(Locale.ROOT, "{\"name\": \"%s\", \"unit\": \"%s\", \"value\": %s}",
        name, unit, num(v));
  }

  static double[] readPeer(Path f) throws IOException {
    if (!Files.exists(f)) {
      return new double[0];
    }
    return Files.readAllLines(f).stream().map(String::trim).filter(s -> !s.isEmpty())
        .mapToDouble(Double::parseDouble).toArray();
  }

  static long memAvailableKiB() throws IOException {
    return meminfo("MemAvailable:");
  }

  static long memTotalKiB() {
    try {
      return meminfo("MemTotal:");
    } catch (IOException e) {
      return 0;
    }
  }

  private static long meminfo(String key) throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
      if (l.startsWith(key)) {
        return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no " + key + " in /proc/meminfo");
  }

  private static void log(String s) {
    System.err.println("[boot bench] " + s);
  }

  private static int sh(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    return p.waitFor();
  }

  private static void shOk(String... cmd) throws IOException, InterruptedException {
    if (sh(cmd) != 0) {
      throw new IOException("bench setup failed: " + String.join(" ", cmd));
    }
  }
}
