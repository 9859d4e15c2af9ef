package dev.mayfly.agent;

import dev.mayfly.agent.driver.Fingerprint;
import dev.mayfly.agent.driver.GuestException;
import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.southbound.v1.Capacity;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.Envelope;
import dev.mayfly.southbound.v1.GuestReport;
import dev.mayfly.southbound.v1.Heartbeat;
import dev.mayfly.southbound.v1.NodeLoad;
import dev.mayfly.southbound.v1.Register;
import dev.mayfly.southbound.v1.RegisterAck;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import dev.mayfly.agent.migration.AgentMigrations;
import dev.mayfly.agent.migration.AgentTls;
import dev.mayfly.migration.transfer.TransferOptions;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge agent: enrolls if needed, dials the controller with its client certificate,
 * registers, heartbeats, re-reports its guests after every (re)connect, runs commands
 * through {@link CommandDispatcher} and forwards driver events. Reconnects forever with
 * exponential backoff and jitter; a dead controller never touches the guests.
 *
 * <p>Threads: one Netty event loop (I/O only), one control thread (connects, enrollment,
 * heartbeats, reconnect timers), a small worker pool (commands, guest reports).
 */
public final class Agent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Agent.class);
  public static final String VERSION = "0.1.0";

  private final AgentConfig cfg;
  private final LoadedDriver driver;
  private final AgentCredentials creds;
  private final NodeProbe probe = new NodeProbe();
  private final BootStats bootStats = new BootStats();
  private final EventLoopGroup group;
  private final ScheduledExecutorService control;
  private final ExecutorService workers;
  private final CommandDispatcher dispatcher;
  private final Consumer<String> readyOut;
  private final AtomicLong seq = new AtomicLong();
  private final Object stateLock = new Object();

  private volatile boolean closed;
  private volatile Channel registered;
  private ScheduledFuture<?> heartbeatTask; // control thread only
  private int failures; // control thread only
  private int tlsFailures; // consecutive TLS failures with our client certificate; control thread
  private int registrations; // guarded by stateLock

  /**
   * @param readyOut receives the line "agent NAME READY" after each registration
   *     (AgentMain prints it on stdout for the launcher)
   */
  public Agent(AgentConfig cfg, LoadedDriver driver, Consumer<String> readyOut) {
    this.cfg = cfg;
    this.driver = driver;
    this.readyOut = readyOut;
    this.creds = new AgentCredentials(cfg.stateDir());
    this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("agent-io", true),
        NioIoHandler.newFactory());
    this.control = Executors.newSingleThreadScheduledExecutor(
        new DefaultThreadFactory("agent-control", true));
    this.workers = Executors.newFixedThreadPool(CommandDispatcher.defaultWorkers(),
        new DefaultThreadFactory("agent-worker", true));
    this.dispatcher = new CommandDispatcher(driver, workers, bootStats);
  }

  public AgentConfig config() {
    return cfg;
  }

  public LoadedDriver driver() {
    return driver;
  }

  /** Re-adopts guests, subscribes to driver events and starts dialing. Returns at once. */
  public void start() {
    if (driver.available()) {
      driver.recoverOnce();
      driver.driver().addListener(e -> {
        Channel ch = registered;
        if (ch != null && ch.isActive()) {
          send(ch, envelope().setGuestEvent(ProtoMapping.event(e)).build());
        }
      });
    } else {
      log.warn("driver '{}' unavailable: {} (registering without guest capacity)",
          driver.name(), driver.unavailableReason());
    }
    control.execute(this::connect);
  }

  /** True while registered with the controller. */
  public boolean isRegistered() {
    Channel ch = registered;
    return ch != null && ch.isActive();
  }

  /** How many times the agent has registered since start. */
  public int registrations() {
    synchronized (stateLock) {
      return registrations;
    }
  }

  /** Waits until {@link #registrations()} reaches {@code n}; false on timeout. */
  public boolean awaitRegistrations(int n, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    synchronized (stateLock) {
      while (registrations < n) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return false;
        }
        stateLock.wait(left);
      }
      return true;
    }
  }

  // ---- connection management (control thread) -----------------------------------------

  private void connect() {
    if (closed) {
      return;
    }
    try {
      if (!creds.enrolled(cfg.nodeName())) {
        log.info("not enrolled yet; enrolling '{}' with {}:{}", cfg.nodeName(),
            cfg.controllerHost(), cfg.controllerPort());
        Enroller.enroll(cfg, creds, group);
      }
      startMigrations();
      SslContext ssl = SslContextBuilder.forClient()
          .keyManager(creds.privateKey(), creds.certificate())
          .trustManager(creds.ca())
          .endpointIdentificationAlgorithm("HTTPS")
          .build();
      Bootstrap b = new Bootstrap()
          .group(group)
          .channel(NioSocketChannel.class)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.SO_KEEPALIVE, true)
          .handler(new AgentChannelInitializer(ssl, cfg.controllerHost(), cfg.controllerPort(),
              ConnectionHandler::new));
      ChannelFuture f = b.connect(cfg.controllerHost(), cfg.controllerPort());
      f.channel().closeFuture().addListener(cf -> control.execute(() -> disconnected(f, cf.cause())));
    } catch (IOException | RuntimeException e) {
      retryLater(describe(e));
    }
  }

  private void disconnected(ChannelFuture connect, Throwable closeCause) {
    Channel ch = connect.channel();
    boolean wasRegistered = false;
    if (registered == ch) {
      registered = null;
      wasRegistered = true;
      if (heartbeatTask != null) {
        heartbeatTask.cancel(false);
        heartbeatTask = null;
      }
    }
    if (closed) {
      return;
    }
    String why = !connect.isSuccess()
        ? "cannot connect to " + cfg.controllerHost() + ":" + cfg.controllerPort() + ": "
            + describe(connect.cause())
        : wasRegistered ? "connection to controller lost" : "connection closed before registering";
    String detail = ch.attr(CLOSE_REASON).get();
    if (!wasRegistered && detail != null && detail.startsWith("TLS: ")) {
      maybeReenroll(detail);
    } else if (wasRegistered) {
      tlsFailures = 0;
    }
    retryLater(detail != null ? why + " (" + detail + ")" : why);
  }

  /**
   * After 3 TLS handshake failures in a row with our certificate (e.g. the controller's CA
   * was re-created), enroll again if a token and --ca-cert are configured.
   */
  private void maybeReenroll(String detail) {
    tlsFailures++;
    if (tlsFailures < 3 || cfg.caCert() == null) {
      return;
    }
    try {
      if (cfg.resolveBootstrapToken() == null) {
        return;
      }
      log.warn("{} TLS failures with the current certificate ({}); enrolling again", tlsFailures,
          detail);
      creds.discardCertificate();
      tlsFailures = 0;
    } catch (IOException e) {
      log.warn("cannot re-enroll: {}", e.getMessage());
    }
  }

  private void retryLater(String reason) {
    if (closed) {
      return;
    }
    long cap = Math.min(cfg.maxBackoffMs(), cfg.initialBackoffMs() << Math.min(failures, 20));
    long delay = cap / 2 + ThreadLocalRandom.current().nextLong(cap / 2 + 1);
    failures++;
    log.warn("{}; retrying in {} ms", reason, delay);
    control.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  private void onRegistered(Channel ch, RegisterAck ack) {
    long interval = ack.getHeartbeatIntervalMs() > 0 ? ack.getHeartbeatIntervalMs() : 2000;
    control.execute(() -> {
      if (!ch.isActive() || closed) {
        return;
      }
      failures = 0;
      registered = ch;
      if (heartbeatTask != null) {
        heartbeatTask.cancel(false);
      }
      heartbeatTask = control.scheduleAtFixedRate(() -> heartbeat(ch), interval, interval,
          TimeUnit.MILLISECONDS);
      workers.execute(() -> sendGuestReport(ch));
      log.info("registered with controller {}:{} as node '{}' (heartbeat {} ms)",
          cfg.controllerHost(), cfg.controllerPort(), ack.getNodeId(), interval);
      readyOut.accept("agent " + cfg.nodeName() + " READY");
      synchronized (stateLock) {
        registrations++;
        stateLock.notifyAll();
      }
    });
  }

  private void sendGuestReport(Channel ch) {
    GuestReport.Builder r = GuestReport.newBuilder();
    if (driver.available()) {
      long now = System.currentTimeMillis();
      for (GuestInfo g : driver.driver().list()) {
        r.addGuests(ProtoMapping.report(g, now));
      }
    }
    if (ch.isActive()) {
      ch.writeAndFlush(envelope().setGuestReport(r).build());
      log.info("reported {} guest(s)", r.getGuestsCount());
    }
  }

  private void heartbeat(Channel ch) {
    if (!ch.isActive()) {
      return;
    }
    try {
      ch.writeAndFlush(envelope().setHeartbeat(Heartbeat.newBuilder()
          .setSentUnixMs(System.currentTimeMillis())
          .setLoad(load())).build());
    } catch (RuntimeException e) {
      log.warn("heartbeat: {}", e.getMessage());
    }
  }

  NodeLoad load() {
    NodeLoad.Builder l = NodeLoad.newBuilder();
    if (driver.available()) {
      int running = 0;
      int total = 0;
      for (GuestInfo g : driver.driver().list()) {
        total++;
        if (g.state() == dev.mayfly.agent.driver.GuestState.RUNNING) {
          running++;
        }
      }
      l.setGuestsRunning(running).setGuestsTotal(total);
    }
    long[] mem = probe.memory();
    l.setMemoryUsedBytes(Math.max(0, mem[0] - mem[1])).setMemoryAvailableBytes(mem[1]);
    l.setLoad1(probe.load1());
    driver.pool().ifPresent(p -> l.setPoolReady(p.ready()).setPoolTarget(p.target()));
    double[] pct = bootStats.percentiles();
    l.setBootP50Ms(pct[0]).setBootP99Ms(pct[1]);
    return l.build();
  }

  Register register() {
    long[] mem = probe.memory();
    Register.Builder r = Register.newBuilder()
        .setNodeName(cfg.nodeName())
        .setAgentVersion(VERSION)
        .setDriver(driver.name())
        .setDataPlaneAddress(cfg.dataPlaneAddress())
        .putAllLabels(cfg.labels());
    Capacity.Builder cap = Capacity.newBuilder().setCpus(probe.cpus()).setMemoryBytes(mem[0]);
    if (driver.available()) {
      cap.setGuestSlots(cfg.guestSlots());
      Fingerprint fp = driver.fingerprint().orElseThrow();
      r.addAllCapabilities(new java.util.TreeSet<>(fp.capabilities()));
    } else {
      cap.setGuestSlots(0);
      r.putLabels("driver.unavailable", driver.unavailableReason());
    }
    return r.setCapacity(cap).build();
  }

  private Envelope.Builder envelope() {
    return Envelope.newBuilder().setProtocolVersion(1).setSeq(seq.incrementAndGet());
  }

  static String describe(Throwable t) {
    if (t == null) {
      return "unknown error";
    }
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root
        && (root instanceof io.netty.handler.codec.DecoderException
            || root.getMessage() == null)) {
      root = root.getCause();
    }
    String m = root.getMessage();
    String kind = root instanceof SSLException ? "TLS: " : "";
    return kind + (m == null ? root.getClass().getSimpleName() : m);
  }

  // ---- one connection ------------------------------------------------------------------

  private static final io.netty.util.AttributeKey<String> CLOSE_REASON =
      io.netty.util.AttributeKey.valueOf("mayfly.closeReason");

  /** Results and guest events from other threads, written by one event-loop task per batch. */
  private final java.util.concurrent.ConcurrentLinkedQueue<Map.Entry<Channel, Envelope>> outbox =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicBoolean drainQueued =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * A burst of creates answers with a few writes and flushes (TLS records, syscalls), not
   * one or two (result, events) per guest: the first message of a batch schedules one drain
   * task on the event loop (the agent has one I/O thread); messages queued before that task
   * runs go out with it, in queue order, with one flush per channel.
   */
  void send(Channel ch, Envelope e) {
    outbox.add(Map.entry(ch, e));
    if (drainQueued.compareAndSet(false, true)) {
      ch.eventLoop().execute(() -> {
        drainQueued.set(false);
        Map.Entry<Channel, Envelope> m;
        Channel last = null;
        java.util.Set<Channel> touched = null;
        while ((m = outbox.poll()) != null) {
          Channel c = m.getKey();
          if (!c.isActive()) {
            continue;
          }
          c.write(m.getValue(), c.voidPromise());
          if (last != null && last != c) {
            if (touched == null) {
              touched = new java.util.HashSet<>();
            }
            touched.add(last);
          }
          last = c;
        }
        if (last != null) {
          last.flush();
        }
        if (touched != null) {
          touched.forEach(Channel::flush);
        }
      });
    }
  }

  private final class ConnectionHandler extends SimpleChannelInboundHandler<Envelope> {

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.writeAndFlush(envelope().setRegister(register()).build());
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Envelope env) {
      Channel ch = ctx.channel();
      switch (env.getBodyCase()) {
        case REGISTER_ACK -> onRegistered(ch, env.getRegisterAck());
        case COMMAND -> dispatcher.dispatch(env.getCommand(), r -> reply(ch, r));
        case ERROR -> {
          String m = "controller refused: " + env.getError().getCode() + " "
              + env.getError().getMessage();
          ch.attr(CLOSE_REASON).set(m);
          log.warn(m);
        }
        default -> log.debug("ignoring {} from controller", env.getBodyCase());
      }
    }

    private void reply(Channel ch, CommandResult r) {
      if (ch.isActive()) {
        send(ch, envelope().setResult(r).build());
      } else {
        log.info("result of {} not sent: connection closed (the controller will ask again)",
            r.getCommandId());
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent hs && !hs.isSuccess()) {
        ctx.channel().attr(CLOSE_REASON).setIfAbsent("TLS: " + describe(hs.cause()).replaceFirst("^TLS: ", ""));
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.channel().attr(CLOSE_REASON).setIfAbsent(describe(cause));
      ctx.close();
    }
  }

  // ---- migration (issue 6) -------------------------------------------------------------

  private volatile AgentMigrations migrations;

  /** Once enrolled: the migration receiver on --data-plane-address (agent-to-agent mutual TLS). */
  private void startMigrations() {
    if (migrations != null || cfg.dataPlaneAddress() == null || cfg.dataPlaneAddress().isBlank()) {
      return;
    }
    try {
      AgentMigrations m = AgentMigrations.start(cfg.nodeName(),
          AgentTls.server(creds.certFile(), creds.keyFile(), creds.caFile()),
          node -> AgentTls.client(creds.certFile(), creds.keyFile(), creds.caFile(), node),
          cfg.dataPlaneAddress(), TransferOptions.defaults());
      migrations = m;
      dispatcher.migrations(m);
      log.info("migration receiver listening on {}", cfg.dataPlaneAddress());
    } catch (IOException | RuntimeException e) {
      log.error("cannot start the migration receiver on {}: {} (migrations to this node will fail)",
          cfg.dataPlaneAddress(), e.getMessage());
    }
  }

  // ---- shutdown ------------------------------------------------------------------------

  /** Disconnects and releases resources; guests keep running unless configured otherwise. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Channel ch = registered;
    if (ch != null) {
      ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    control.shutdownNow();
    AgentMigrations m = migrations;
    if (m != null) {
      m.close();
    }
    // let commands already handed to the workers finish first: a boot still in flight
    // would otherwise start a guest after the destroy-all below had listed the guests
    workers.shutdown();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (cfg.destroyGuestsOnExit() && driver.available()) {
      // stop the pool (it discards its prepared shells) before listing the guests, so no
      // refill can create a shell behind the destroy-all
      driver.pool().ifPresent(p -> {
        try {
          p.close();
        } catch (RuntimeException e) {
          log.warn("closing shell pool: {}", e.getMessage());
        }
      });
      destroyAllBounded(driver.driver(), stopTimeoutMs());
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    driver.close();
  }

  /** MAYFLY_STOP_TIMEOUT_S: how long destroy-all on exit may take (default 45 s). */
  static long stopTimeoutMs() {
    String v = System.getenv("MAYFLY_STOP_TIMEOUT_S");
    try {
      return v == null || v.isBlank() ? 45_000 : Math.max(1, Long.parseLong(v.trim())) * 1000;
    } catch (NumberFormatException e) {
      return 45_000;
    }
  }

  /**
   * Destroys every guest with a few threads, logging progress every 2 s, and gives up after
   * {@code timeoutMs} (the launcher SIGKILLs a stopping process after 60 s): what is left
   * keeps its slot journal records, and the next agent start or {@code ./mayfly clean-host} cleans
   * it up. Returns the number of guests destroyed.
   */
  static int destroyAllBounded(dev.mayfly.agent.driver.GuestDriver d, long timeoutMs) {
    java.util.List<GuestInfo> all = d.list();
    int n = all.size();
    if (n == 0) {
      return 0;
    }
    log.info("stopping agent: destroying {} guest(s) (--destroy-guests-on-exit, at most {} s)",
        n, timeoutMs / 1000);
    java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    int threads = Math.min(n, 4);
    java.util.List<Thread> ts = new java.util.ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread th = new Thread(() -> {
        int i;
        while ((i = next.getAndIncrement()) < n && System.nanoTime() < deadline) {
          String id = all.get(i).guestId();
          try {
            d.destroy(id);
          } catch (GuestException | RuntimeException e) {
            log.warn("destroying guest {} on exit: {}", id, e.getMessage());
          }
          done.incrementAndGet();
        }
      }, "agent-stop-" + t);
      th.setDaemon(true);
      th.start();
      ts.add(th);
    }
    long t0 = System.nanoTime();
    for (Thread th : ts) {
      while (th.isAlive()) {
        try {
          th.join(2000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return done.get();
        }
        if (th.isAlive()) {
          log.info("stopping agent: destroyed {}/{} guests ({} s)", done.get(), n,
              (System.nanoTime() - t0) / 1_000_000_000L);
        }
      }
    }
    int left = n - done.get();
    if (left > 0) {
      log.warn("stopping agent: gave up after {} s with {} of {} guests not destroyed; their "
          + "journal records remain (the next agent start or ./mayfly clean-host removes them)",
          timeoutMs / 1000, left, n);
    } else {
      log.info("stopping agent: destroyed all {} guests in {} ms", n,
          (System.nanoTime() - t0) / 1_000_000);
    }
    return done.get();
  }

  /** Labels as sent in Register (for logs and tests). */
  Map<String, String> effectiveLabels() {
    return new TreeMap<>(register().getLabelsMap());
  }
}
