package dev.mayfly.agent.cli;

import dev.mayfly.agent.driver.GuestDriver;
import dev.mayfly.agent.driver.GuestException;
import dev.mayfly.agent.driver.GuestInfo;
import dev.mayfly.agent.driver.GuestSpec;
import dev.mayfly.agent.driver.PortSpec;
import dev.mayfly.agent.driver.ShellSource;
import dev.mayfly.agent.pool.ShellPool;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node CLI's server side (LightVM's "chaos" toolstack in spirit): an operator on this node
 * talks to the running agent over a unix socket ({@code ${stateDir}/agent.sock}, mode 0600,
 * root only). Wire format: {@link CliProtocol}. Commands:
 * <pre>
 *   create ID CONFIG PORTS MEMORY_MIB   ports: "access,core" or "access=br:BR,core=x:IF"
 *   list | pause ID | unpause ID | destroy ID | pool
 *   save ID            -> body: save file (checkpoint, then destroy, like xl save)
 *   restore SAVEFILE [ID]
 * </pre>
 * Guests it creates go through the same driver and pool as the controller's commands.
 */
public final class NodeCliServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeCliServer.class);
  private final GuestDriver driver;
  private final ShellSource pool;
  private final Path socket;
  private final ExecutorService workers = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "node-cli");
    t.setDaemon(true);
    return t;
  });
  private final SecureRandom random = new SecureRandom();
  private ServerSocketChannel server;
  private Thread acceptor;
  private volatile boolean closed;

  /** pool may be null (cold boots only). */
  public NodeCliServer(GuestDriver driver, ShellSource pool, Path socket) {
    this.driver = driver;
    this.pool = pool;
    this.socket = socket;
  }

  public synchronized NodeCliServer start() throws IOException {
    Files.createDirectories(socket.toAbsolutePath().getParent());
    Files.deleteIfExists(socket); // a stale socket of a killed agent
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    try {
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not POSIX
    }
    acceptor = new Thread(this::acceptLoop, "node-cli-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    return this;
  }

  public Path socket() {
    return socket;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        SocketChannel ch = server.accept();
        workers.submit(() -> serve(ch));
      } catch (IOException e) {
        if (!closed) {
          log.warn("node cli: accept: {}", e.getMessage());
        }
        return;
      }
    }
  }

  private void serve(SocketChannel ch) {
    try (ch) {
      BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
          StandardCharsets.UTF_8));
      Writer out = new OutputStreamWriter(Channels.newOutputStream(ch), StandardCharsets.UTF_8);
      String line = in.readLine();
      CliProtocol.Response r;
      if (line == null) {
        return;
      }
      try {
        r = handle(CliProtocol.parseRequest(line));
      } catch (GuestException e) {
        r = CliProtocol.Response.err(e.code().name(), e.getMessage());
      } catch (IllegalArgumentException e) {
        r = CliProtocol.Response.err("BAD_REQUEST", e.getMessage());
      } catch (RuntimeException e) {
        log.warn("node cli: {}", e.toString());
        r = CliProtocol.Response.err("INTERNAL", e.toString());
      }
      CliProtocol.writeResponse(out, r);
    } catch (IOException e) {
      log.debug("node cli connection: {}", e.getMessage());
    }
  }

  private static String arg(List<String> a, int i, String what) {
    if (a.size() <= i) {
      throw new IllegalArgumentException(a.get(0) + ": missing " + what);
    }
    return a.get(i);
  }

  CliProtocol.Response handle(List<String> a) throws GuestException {
    if (a.isEmpty()) {
      throw new IllegalArgumentException("empty request");
    }
    switch (a.get(0)) {
      case "create": {
        String id = arg(a, 1, "ID");
        if (id.equals("-")) {
          id = "cli-" + Long.toString(Math.abs(random.nextLong()) % 2176782336L, 36);
        }
        List<PortSpec> ports = parsePorts(arg(a, 3, "PORTS"), null);
        long mem = Long.parseLong(a.size() > 4 ? a.get(4) : "16") << 20;
        GuestSpec spec = new GuestSpec(id, 1, "click", arg(a, 2, "CONFIG"), ports, mem, 100, 16,
            Map.of("origin", "node-cli"));
        GuestInfo g = driver.boot(spec, takeShell(spec));
        specs.put(id, spec);
        return CliProtocol.Response.ok(List.of(describe(g)));
      }
      case "list": {
        List<String> body = new ArrayList<>();
        body.add(String.format("%-24s %-12s %8s %4s %s", "ID", "STATE", "PID", "GEN", "NF"));
        for (GuestInfo g : driver.list()) {
          body.add(String.format("%-24s %-12s %8d %4d %s", g.guestId(), g.state(), g.pid(),
              g.generation(), g.nfType()));
        }
        return CliProtocol.Response.ok(body);
      }
      case "pause":
        pausable().pause(arg(a, 1, "ID"));
        return CliProtocol.Response.ok(List.of("paused " + a.get(1)));
      case "unpause":
        pausable().unpause(arg(a, 1, "ID"));
        return CliProtocol.Response.ok(List.of("running " + a.get(1)));
      case "destroy": {
        String id = arg(a, 1, "ID");
        boolean known = driver.inspect(id).isPresent();
        driver.destroy(id);
        specs.remove(id);
        return CliProtocol.Response.ok(List.of(known ? "destroyed " + id
            : "no guest " + id + " (nothing to do)"));
      }
      case "save": {
        String id = arg(a, 1, "ID");
        GuestInfo g = driver.inspect(id).orElseThrow(() -> new GuestException(
            GuestException.Code.NOT_FOUND, "no guest '" + id + "' on this node"));
        GuestSpec spec = specOf(g);
        byte[] blob = checkpointable().checkpoint(id);
        driver.destroy(id);
        specs.remove(id);
        return CliProtocol.Response.ok(SaveFile.chunk(SaveFile.write(spec, blob)));
      }
      case "restore": {
        SaveFile.Saved s = SaveFile.read(arg(a, 1, "SAVEFILE"), "save file");
        GuestSpec spec = s.spec();
        if (a.size() > 2) {
          spec = new GuestSpec(a.get(2), spec.generation(), spec.nfType(), spec.clickConfig(),
              spec.ports(), spec.memoryBytes(), spec.cpuWeight(), spec.pidsMax(), spec.labels());
        }
        GuestInfo g = checkpointable().restore(spec, s.checkpoint(), takeShell(spec));
        specs.put(spec.guestId(), spec);
        return CliProtocol.Response.ok(List.of(describe(g)));
      }
      case "pool": {
        List<String> body = new ArrayList<>();
        if (pool == null) {
          body.add("no pool: every boot is cold");
        } else if (pool instanceof ShellPool sp) {
          sp.describe().forEach((k, v) -> body.add(k + " " + v));
        } else {
          body.add("ready=" + pool.ready() + " target=" + pool.target());
        }
        return CliProtocol.Response.ok(body);
      }
      default:
        throw new IllegalArgumentException("unknown command '" + a.get(0)
            + "' (create, list, pause, unpause, save, restore, destroy, pool)");
    }
  }

  private Optional<dev.mayfly.agent.driver.Shell> takeShell(GuestSpec spec) {
    return pool == null ? Optional.empty() : pool.take(spec.shellClass());
  }

  private GuestDriver.Pausable pausable() throws GuestException {
    if (driver instanceof GuestDriver.Pausable p) {
      return p;
    }
    throw new GuestException(GuestException.Code.UNSUPPORTED, driver.name() + " cannot pause");
  }

  private GuestDriver.Checkpointable checkpointable() throws GuestException {
    if (driver instanceof GuestDriver.Checkpointable c) {
      return c;
    }
    throw new GuestException(GuestException.Code.UNSUPPORTED,
        driver.name() + " cannot checkpoint");
  }

  /** The spec a save file needs; the config is kept by the CLI's own guests only. */
  private GuestSpec specOf(GuestInfo g) throws GuestException {
    GuestSpec s = specs.get(g.guestId());
    if (s == null) {
      throw new GuestException(GuestException.Code.UNSUPPORTED, "save: guest " + g.guestId()
          + " was not created through this CLI since the agent started (its configuration is"
          + " held by the controller); use the controller's migration instead");
    }
    return s;
  }

  private final Map<String, GuestSpec> specs = new java.util.concurrent.ConcurrentHashMap<>();

  private String describe(GuestInfo g) {
    return g.guestId() + " " + g.state() + " pid " + g.pid() + " timings_ms " + g.timingsMs();
  }

  static String formatPorts(List<PortSpec> ports) {
    StringBuilder sb = new StringBuilder();
    for (PortSpec p : ports) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(p.name());
      if (p.bridge() != null) {
        sb.append("=br:").append(p.bridge());
      } else if (p.xconnect() != null) {
        sb.append("=x:").append(p.xconnect());
      }
    }
    return sb.toString();
  }

  /** "access,core" / "access=br:BR,core=x:IF"; defaultBridge applies to plain names. */
  static List<PortSpec> parsePorts(String s, String defaultBridge) {
    List<PortSpec> out = new ArrayList<>();
    if (s == null || s.isBlank()) {
      return out;
    }
    for (String p : s.split(",")) {
      String name = p;
      String br = defaultBridge;
      String x = null;
      int eq = p.indexOf('=');
      if (eq >= 0) {
        name = p.substring(0, eq);
        String t = p.substring(eq + 1);
        if (t.startsWith("br:")) {
          br = t.substring(3);
        } else if (t.startsWith("x:")) {
          br = null;
          x = t.substring(2);
        } else {
          throw new IllegalArgumentException("ports: '" + p
              + "': expected NAME, NAME=br:BRIDGE or NAME=x:INTERFACE");
        }
      }
      out.add(new PortSpec(name.trim(), br, x, null));
    }
    return out;
  }

  @Override
  public void close() {
    closed = true;
    try {
      if (server != null) {
        server.close();
      }
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      log.debug("node cli close: {}", e.getMessage());
    }
    workers.shutdownNow();
  }
}
