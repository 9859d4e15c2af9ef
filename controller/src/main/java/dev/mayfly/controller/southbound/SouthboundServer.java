package dev.mayfly.controller.southbound;

import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.Envelope;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The southbound Netty server: accepts agent connections (mutual TLS with the
 * controller CA), keeps the node → channel registry and implements {@link AgentGateway}.
 * A Spring {@link SmartLifecycle} bean in the application; plain object in tests.
 */
public class SouthboundServer implements AgentGateway, SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(SouthboundServer.class);

  private final SouthboundSettings settings;
  private final CertificateAuthority ca;
  private final BootstrapToken token;
  private final SouthboundListener listener;
  private final Map<String, Channel> nodes = new ConcurrentHashMap<>();
  /** When each channel registered its node (see {@link #connectedSince}). */
  private final java.util.Map<Channel, java.time.Instant> since = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile EventLoopGroup boss;
  private volatile EventLoopGroup workers;
  private volatile Channel serverChannel;

  public SouthboundServer(
      SouthboundSettings settings, CertificateAuthority ca, BootstrapToken token,
      SouthboundListener listener) {
    this.settings = Objects.requireNonNull(settings);
    this.ca = Objects.requireNonNull(ca);
    this.token = Objects.requireNonNull(token);
    this.listener = Objects.requireNonNull(listener);
  }

  public SouthboundSettings settings() {
    return settings;
  }

  CertificateAuthority ca() {
    return ca;
  }

  BootstrapToken bootstrapToken() {
    return token;
  }

  SouthboundListener listener() {
    return listener;
  }

  /** Server TLS context: our server cert, client certs optional but verified against the CA. */
  public SslContext sslContext() throws SSLException {
    return SslContextBuilder.forServer(ca.serverKey(), ca.serverCertificate(), ca.caCertificate())
        .trustManager(ca.caCertificate())
        .clientAuth(ClientAuth.OPTIONAL)
        .build();
  }

  @Override
  public synchronized void start() {
    if (serverChannel != null) {
      return;
    }
    try {
      SslContext ssl = sslContext();
      boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("southbound-accept"),
          NioIoHandler.newFactory());
      workers = new MultiThreadIoEventLoopGroup(
          Math.min(4, Math.max(2, Runtime.getRuntime().availableProcessors())),
          new DefaultThreadFactory("southbound-io"), NioIoHandler.newFactory());
      ServerBootstrap b = new ServerBootstrap()
          .group(boss, workers)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 1024)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.SO_KEEPALIVE, true)
          .childHandler(new SouthboundChannelInitializer(ssl, this));
      serverChannel = b.bind(new InetSocketAddress(settings.bindAddress(), settings.port()))
          .syncUninterruptibly().channel();
      log.info("southbound listening on {} (TLS, CA {}, heartbeat {} ms)",
          serverChannel.localAddress(), settings.pkiDir().resolve("ca.pem"),
          settings.heartbeatIntervalMs());
    } catch (SSLException e) {
      shutdownGroups();
      throw new IllegalStateException("southbound TLS setup: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      shutdownGroups();
      serverChannel = null;
      throw new IllegalStateException("southbound: cannot listen on " + settings.bindAddress() + ":"
          + settings.port() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void stop() {
    if (serverChannel == null) {
      return;
    }
    serverChannel.close().syncUninterruptibly();
    serverChannel = null;
    for (Channel ch : nodes.values()) {
      ch.close();
    }
    shutdownGroups();
    log.info("southbound stopped");
  }

  private void shutdownGroups() {
    if (boss != null) {
      boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      boss = null;
    }
    if (workers != null) {
      workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
      workers = null;
    }
  }

  /**
   * Starts before the web server (whose phase is {@code DEFAULT_PHASE - 1024}), so a healthy
   * HTTP endpoint implies agents can connect; stops after it.
   */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 4096;
  }

  @Override
  public boolean isRunning() {
    return serverChannel != null;
  }

  /** Actual port (useful with port 0). */
  public int port() {
    Channel ch = serverChannel;
    if (ch == null) {
      throw new IllegalStateException("southbound server not started");
    }
    return ((InetSocketAddress) ch.localAddress()).getPort();
  }

  // ---- registry --------------------------------------------------------------------------

  /** Binds a registered node to its channel; a previous connection of that node is closed. */
  void bind(String node, Channel ch) {
    since.put(ch, java.time.Instant.now());
    Channel old = nodes.put(node, ch);
    if (old != null && old != ch) {
      log.info("agent '{}' connected again from {}; closing its previous connection {}", node,
          ch.remoteAddress(), old.remoteAddress());
      old.close();
    }
  }

  /** Removes the binding if it is still {@code ch}; true if it was (the node is now gone). */
  boolean unbind(String node, Channel ch) {
    since.remove(ch);
    return nodes.remove(node, ch);
  }

  @Override
  public java.time.Instant connectedSince(String nodeName) {
    Channel ch = nodes.get(nodeName);
    return ch == null || !ch.isActive() ? null : since.get(ch);
  }

  // ---- AgentGateway ----------------------------------------------------------------------

  @Override
  public boolean send(String nodeName, Command command) {
    Channel ch = nodes.get(nodeName);
    if (ch == null || !ch.isActive()) {
      return false;
    }
    Envelope env = Envelopes.envelope().setCommand(command).build();
    ch.writeAndFlush(env).addListener(f -> {
      if (!f.isSuccess()) {
        log.warn("command {} to '{}' not delivered: {}", command.getCommandId(), nodeName,
            f.cause() == null ? "cancelled" : f.cause().getMessage());
      }
    });
    return true;
  }

  /** All of {@code commands} in one event-loop task and one flush (one TLS record run, one syscall). */
  @Override
  public boolean send(String nodeName, java.util.List<Command> commands) {
    Channel ch = nodes.get(nodeName);
    if (ch == null || !ch.isActive()) {
      return false;
    }
    if (commands.isEmpty()) {
      return true;
    }
    ch.eventLoop().execute(() -> {
      for (Command command : commands) {
        ch.write(Envelopes.envelope().setCommand(command).build()).addListener(f -> {
          if (!f.isSuccess()) {
            log.warn("command {} to '{}' not delivered: {}", command.getCommandId(), nodeName,
                f.cause() == null ? "cancelled" : f.cause().getMessage());
          }
        });
      }
      ch.flush();
    });
    return true;
  }

  @Override
  public boolean isConnected(String nodeName) {
    Channel ch = nodes.get(nodeName);
    return ch != null && ch.isActive();
  }

  @Override
  public Set<String> connectedNodes() {
    Set<String> s = new TreeSet<>();
    nodes.forEach((n, ch) -> {
      if (ch.isActive()) {
        s.add(n);
      }
    });
    return s;
  }
}
