package dev.mayfly.controller.southbound;

import static dev.mayfly.controller.southbound.RecordingListener.next;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.agent.Agent;
import dev.mayfly.agent.AgentChannelInitializer;
import dev.mayfly.agent.AgentConfig;
import dev.mayfly.agent.AgentCredentials;
import dev.mayfly.agent.Enroller;
import dev.mayfly.agent.LoadedDriver;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.CheckpointGuest;
import dev.mayfly.southbound.v1.CreateGuest;
import dev.mayfly.southbound.v1.Envelope;
import dev.mayfly.southbound.v1.GuestSpec;
import dev.mayfly.southbound.v1.GuestState;
import dev.mayfly.southbound.v1.Heartbeat;
import dev.mayfly.southbound.v1.PauseGuest;
import dev.mayfly.southbound.v1.Port;
import dev.mayfly.southbound.v1.Register;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The southbound server over real TCP + TLS on loopback, with the real agent client
 * (dev.mayfly.agent) and a recording GuestDriver double. No Spring context.
 */
class SouthboundTlsTest {
  static final String TOKEN = "test-token-0123456789";
  static final int HEARTBEAT_MS = 500;

  @TempDir Path tmp;
  RecordingListener listener;
  SouthboundServer server;
  SouthboundSettings settings;
  CertificateAuthority ca;
  final List<Agent> agents = new ArrayList<>();
  final List<String> readyLines = new CopyOnWriteArrayList<>();
  EventLoopGroup clientGroup;

  @BeforeEach
  void startServer() throws Exception {
    listener = new RecordingListener();
    settings = new SouthboundSettings("127.0.0.1", 0, tmp.resolve("home"), TOKEN, HEARTBEAT_MS,
        List.of(), SouthboundSettings.DEFAULT_MAX_FRAME);
    ca = CertificateAuthority.loadOrCreate(settings.pkiDir(), List.of());
    server = new SouthboundServer(settings, ca, BootstrapToken.of(TOKEN), listener);
    server.start();
    clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterEach
  void stopAll() {
    agents.forEach(Agent::close);
    server.stop();
    clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private AgentConfig config(String node, String token) {
    return AgentConfig.parse(new String[] {
        "--controller", "127.0.0.1:" + server.port(),
        "--node-name", node,
        "--state-dir", tmp.resolve("agents").resolve(node).toString(),
        "--bootstrap-token", token,
        "--ca-cert", settings.pkiDir().resolve("ca.pem").toString(),
        "--labels", "zone=a,tier=edge",
        "--guest-slots", "16",
        "--data-plane-address", "127.0.0.1:7500"}, Map.of()).withBackoff(20, 300);
  }

  private Agent startAgent(String node, LoadedDriver driver) {
    Agent a = new Agent(config(node, TOKEN), driver, readyLines::add);
    agents.add(a);
    a.start();
    return a;
  }

  private Agent startAgent(String node, RecordingGuestDriver d) {
    return startAgent(node, LoadedDriver.of(d, Optional.empty()));
  }

  @Test
  void agentEnrollsRegistersAndHeartbeats() throws Exception {
    Agent a = startAgent("edge-a", new RecordingGuestDriver());
    assertThat(a.awaitRegistrations(1, 10_000)).isTrue();
    assertThat(readyLines).contains("agent edge-a READY");

    var reg = next(listener.registered);
    assertThat(reg.node()).isEqualTo("edge-a");
    Register r = reg.value();
    assertThat(r.getLabelsMap()).containsEntry("zone", "a").containsEntry("tier", "edge");
    assertThat(r.getDriver()).isEqualTo("recording");
    assertThat(r.getCapabilitiesList()).containsExactly("pause");
    assertThat(r.getCapacity().getGuestSlots()).isEqualTo(16);
    assertThat(r.getCapacity().getCpus()).isPositive();
    assertThat(r.getCapacity().getMemoryBytes()).isPositive();
    assertThat(r.getDataPlaneAddress()).isEqualTo("127.0.0.1:7500");
    assertThat(server.connectedNodes()).containsExactly("edge-a");

    var hb = next(listener.heartbeats);
    assertThat(hb.node()).isEqualTo("edge-a");
    assertThat(hb.value().getLoad().getMemoryAvailableBytes()).isPositive();
    assertThat(next(listener.reports).value().getGuestsCount()).isZero();

    Path state = tmp.resolve("agents/edge-a");
    for (String f : List.of("agent.key", "agent.pem")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve(f))))
          .isEqualTo("rw-------");
    }
    X509Certificate cert = new AgentCredentials(state).certificate();
    assertThat(CertificateAuthority.commonName(cert)).isEqualTo("edge-a");
    cert.verify(ca.caCertificate().getPublicKey());
  }

  @Test
  void wrongTokenIsRefused() {
    AgentConfig cfg = config("edge-b", "not-the-token");
    AgentCredentials creds = new AgentCredentials(cfg.stateDir());
    assertThatThrownBy(() -> Enroller.enroll(cfg, creds, clientGroup))
        .isInstanceOf(Enroller.RefusedException.class)
        .hasMessageContaining("ENROLL_REJECTED")
        .hasMessageContaining("wrong bootstrap token");
    assertThat(Files.exists(creds.certFile())).isFalse();
    assertThat(creds.enrolled()).isFalse();
  }

  @Test
  void connectionWithoutClientCertificateCannotRegister() throws Exception {
    SslContext noCert = SslContextBuilder.forClient().trustManager(ca.caCertificate()).build();
    RawClient c = RawClient.connect(clientGroup, noCert, server.port());
    c.send(envelope().setRegister(Register.newBuilder().setNodeName("edge-a")).build());
    Envelope e = c.next();
    assertThat(e.getError().getCode()).isEqualTo("UNAUTHENTICATED");
    assertThat(c.awaitClosed()).isTrue();
    assertThat(listener.registered).isEmpty();
  }

  @Test
  void certificateFromAnotherCaIsRejectedDuringHandshake() throws Exception {
    CertificateAuthority rogue = CertificateAuthority.loadOrCreate(tmp.resolve("rogue"), List.of());
    KeyPair kp = CertificateAuthority.newKeyPair();
    byte[] csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=edge-a"), kp.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())).getEncoded();
    X509Certificate forged = rogue.signClient("edge-a", csr);
    SslContext ssl = SslContextBuilder.forClient().trustManager(ca.caCertificate())
        .keyManager(kp.getPrivate(), forged).build();
    RawClient c = RawClient.connect(clientGroup, ssl, server.port());
    c.send(envelope().setRegister(Register.newBuilder().setNodeName("edge-a")).build());
    assertThat(c.awaitClosed()).isTrue();
    assertThat(c.received).noneMatch(Envelope::hasRegisterAck);
    assertThat(listener.registered).isEmpty();
  }

  @Test
  void commandReachesTheDriverAndItsResultComesBack() throws Exception {
    RecordingGuestDriver d = new RecordingGuestDriver();
    Agent a = startAgent("edge-a", d);
    assertThat(a.awaitRegistrations(1, 10_000)).isTrue();

    Command create = Command.newBuilder().setCommandId("c1").setGuestId("fw-1").setGeneration(1)
        .setCreate(CreateGuest.newBuilder().setSpec(GuestSpec.newBuilder()
            .setNfType("firewall").setClickConfig("FromDevice(access) -> ToDevice(core);")
            .addPorts(Port.newBuilder().setName("access").setXconnect("ue1"))
            .addPorts(Port.newBuilder().setName("core").setBridge("br-core"))))
        .build();
    assertThat(server.send("edge-a", create)).isTrue();
    CommandResult r = next(listener.results).value();
    assertThat(r.getCommandId()).isEqualTo("c1");
    assertThat(r.getOk()).isTrue();
    assertThat(r.getState()).isEqualTo(GuestState.RUNNING);
    assertThat(r.getTimingsList()).extracting(t -> t.getPhase()).contains("boot", "total", "queued");
    assertThat(d.guests).containsKey("fw-1");
    var ev = next(listener.events).value();
    assertThat(ev.getGuestId()).isEqualTo("fw-1");
    assertThat(ev.getState()).isEqualTo(GuestState.RUNNING);

    // the same (guest, generation, action) again: stored result, no second boot
    server.send("edge-a", create.toBuilder().setCommandId("c1-retry").build());
    CommandResult again = next(listener.results).value();
    assertThat(again.getCommandId()).isEqualTo("c1-retry");
    assertThat(again.getOk()).isTrue();
    assertThat(d.boots.get()).isEqualTo(1);

    server.send("edge-a", Command.newBuilder().setCommandId("c2").setGuestId("fw-1")
        .setGeneration(2).setPause(PauseGuest.getDefaultInstance()).build());
    CommandResult paused = next(listener.results).value();
    assertThat(paused.getOk()).isTrue();
    assertThat(paused.getState()).isEqualTo(GuestState.PAUSED);

    server.send("edge-a", Command.newBuilder().setCommandId("c3").setGuestId("fw-1")
        .setGeneration(3).setCheckpoint(CheckpointGuest.getDefaultInstance()).build());
    CommandResult unsupported = next(listener.results).value();
    assertThat(unsupported.getOk()).isFalse();
    assertThat(unsupported.getErrorCode()).isEqualTo("UNSUPPORTED");

    server.send("edge-a", Command.newBuilder().setCommandId("c4").setGuestId("fw-2")
        .setGeneration(1).setCreate(CreateGuest.newBuilder().setSpec(GuestSpec.newBuilder()
            .setNfType("firewall").setClickConfig("Bogus;"))).build());
    CommandResult rejected = next(listener.results).value();
    assertThat(rejected.getErrorCode()).isEqualTo("CONFIG_REJECTED");
    assertThat(rejected.getErrorMessage()).contains("config:1:");

    assertThat(server.send("nobody", create)).isFalse();
  }

  @Test
  void agentReconnectsAfterServerRestartAndReReportsItsGuests() throws Exception {
    RecordingGuestDriver d = new RecordingGuestDriver();
    Agent a = startAgent("edge-a", d);
    assertThat(a.awaitRegistrations(1, 10_000)).isTrue();
    server.send("edge-a", Command.newBuilder().setCommandId("c1").setGuestId("fw-1")
        .setGeneration(1).setCreate(CreateGuest.newBuilder().setSpec(GuestSpec.newBuilder()
            .setNfType("firewall").setClickConfig("Idle;"))).build());
    assertThat(next(listener.results).value().getOk()).isTrue();
    next(listener.reports);

    int port = server.port();
    server.stop();
    var gone = next(listener.disconnected);
    assertThat(gone.node()).isEqualTo("edge-a");
    assertThat(d.guests).containsKey("fw-1"); // a dead controller never touches guests

    SouthboundSettings same = new SouthboundSettings("127.0.0.1", port, settings.home(), TOKEN,
        HEARTBEAT_MS, List.of(), SouthboundSettings.DEFAULT_MAX_FRAME);
    server = new SouthboundServer(same,
        CertificateAuthority.loadOrCreate(same.pkiDir(), List.of()), BootstrapToken.of(TOKEN),
        listener);
    server.start();

    assertThat(a.awaitRegistrations(2, 15_000)).isTrue();
    var report = next(listener.reports);
    assertThat(report.node()).isEqualTo("edge-a");
    assertThat(report.value().getGuestsList()).extracting(g -> g.getGuestId()).containsExactly("fw-1");
    assertThat(report.value().getGuests(0).getState()).isEqualTo(GuestState.RUNNING);
    assertThat(readyLines).containsExactly("agent edge-a READY", "agent edge-a READY");
  }

  @Test
  void agentEnrollsAgainWhenTheControllerCaWasRecreated() throws Exception {
    Agent a = startAgent("edge-a", new RecordingGuestDriver());
    assertThat(a.awaitRegistrations(1, 10_000)).isTrue();
    X509Certificate oldCert = new AgentCredentials(tmp.resolve("agents/edge-a")).certificate();
    int port = server.port();
    server.stop();
    try (var files = Files.list(settings.pkiDir())) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    SouthboundSettings same = new SouthboundSettings("127.0.0.1", port, settings.home(), TOKEN,
        HEARTBEAT_MS, List.of(), SouthboundSettings.DEFAULT_MAX_FRAME);
    ca = CertificateAuthority.loadOrCreate(same.pkiDir(), List.of());
    server = new SouthboundServer(same, ca, BootstrapToken.of(TOKEN), listener);
    server.start();
    assertThat(a.awaitRegistrations(2, 20_000)).isTrue();
    X509Certificate newCert = new AgentCredentials(tmp.resolve("agents/edge-a")).certificate();
    assertThat(newCert).isNotEqualTo(oldCert);
    newCert.verify(ca.caCertificate().getPublicKey());
  }

  @Test
  void silentAgentIsDisconnectedForMissedHeartbeats() throws Exception {
    RawClient c = registeredRawClient("edge-s");
    assertThat(next(listener.registered).node()).isEqualTo("edge-s");
    // the raw client never heartbeats: after 3 intervals the server closes it
    var gone = next(listener.disconnected);
    assertThat(gone.node()).isEqualTo("edge-s");
    assertThat(gone.value()).isEqualTo("missed heartbeats");
    assertThat(c.awaitClosed()).isTrue();
    assertThat(server.isConnected("edge-s")).isFalse();
  }

  @Test
  void secondConnectionOfANodeReplacesTheFirst() throws Exception {
    RawClient first = registeredRawClient("edge-r");
    next(listener.registered);
    RawClient second = rawClientWithCredentials("edge-r");
    second.send(envelope().setRegister(Register.newBuilder().setNodeName("edge-r")).build());
    assertThat(second.next().hasRegisterAck()).isTrue();
    assertThat(first.awaitClosed()).isTrue();
    next(listener.registered);
    assertThat(server.isConnected("edge-r")).isTrue();
    second.send(envelope().setHeartbeat(Heartbeat.newBuilder().setSentUnixMs(7)).build());
    assertThat(next(listener.heartbeats).value().getSentUnixMs()).isEqualTo(7);
    assertThat(listener.disconnected).isEmpty(); // replacing is not a disconnect
  }

  @Test
  void registerWithAnotherNodesNameIsRefused() throws Exception {
    RawClient c = rawClientWithCredentials("edge-m");
    c.send(envelope().setRegister(Register.newBuilder().setNodeName("edge-other")).build());
    assertThat(c.next().getError().getCode()).isEqualTo("NODE_NAME_MISMATCH");
    assertThat(c.awaitClosed()).isTrue();
    assertThat(listener.registered).isEmpty();
  }

  @Test
  void garbageOnOneConnectionDoesNotDisturbTheOthers() throws Exception {
    Agent a = startAgent("edge-a", new RecordingGuestDriver());
    assertThat(a.awaitRegistrations(1, 10_000)).isTrue();
    SslContext noCert = SslContextBuilder.forClient().trustManager(ca.caCertificate()).build();
    RawClient bad = RawClient.connect(clientGroup, noCert, server.port());
    bad.channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {0x05, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, (byte) 0xff, (byte) 0xff})).sync();
    assertThat(bad.awaitClosed()).isTrue();
    listener.heartbeats.clear();
    assertThat(next(listener.heartbeats).node()).isEqualTo("edge-a");
    assertThat(a.isRegistered()).isTrue();
    assertThat(listener.disconnected).isEmpty();
  }

  @Test
  void agentWithoutAWorkingDriverRegistersWithoutCapacityAndRefusesCommands() throws Exception {
    Agent a = startAgent("edge-u", LoadedDriver.unavailable("sandbox", "no user namespaces here"));
    assertThat(a.awaitRegistrations(1, 10_000)).isTrue();
    Register r = next(listener.registered).value();
    assertThat(r.getCapacity().getGuestSlots()).isZero();
    assertThat(r.getCapabilitiesList()).isEmpty();
    assertThat(r.getLabelsMap()).containsEntry("driver.unavailable", "no user namespaces here");
    server.send("edge-u", Command.newBuilder().setCommandId("c1").setGuestId("fw-1")
        .setGeneration(1).setCreate(CreateGuest.getDefaultInstance()).build());
    CommandResult res = next(listener.results).value();
    assertThat(res.getOk()).isFalse();
    assertThat(res.getErrorCode()).isEqualTo("UNSUPPORTED");
    assertThat(res.getErrorMessage()).isEqualTo("no user namespaces here");
  }

  // ---- helpers ---------------------------------------------------------------------------

  private static Envelope.Builder envelope() {
    return Envelope.newBuilder().setProtocolVersion(1);
  }

  /** Enrolls {@code node} through the real Enroller and opens a raw client with its cert. */
  private RawClient rawClientWithCredentials(String node) throws Exception {
    AgentConfig cfg = config(node, TOKEN);
    AgentCredentials creds = new AgentCredentials(cfg.stateDir());
    if (!creds.enrolled()) {
      Enroller.enroll(cfg, creds, clientGroup);
    }
    SslContext ssl = SslContextBuilder.forClient().trustManager(creds.ca())
        .keyManager(creds.privateKey(), creds.certificate()).build();
    return RawClient.connect(clientGroup, ssl, server.port());
  }

  private RawClient registeredRawClient(String node) throws Exception {
    RawClient c = rawClientWithCredentials(node);
    c.send(envelope().setRegister(Register.newBuilder().setNodeName(node)).build());
    Envelope ack = c.next();
    assertThat(ack.getRegisterAck().getHeartbeatIntervalMs()).isEqualTo(HEARTBEAT_MS);
    assertThat(ack.getRegisterAck().getNodeId()).isEqualTo(node);
    return c;
  }

  /** A bare protocol client: the agent's pipeline with a recording handler. */
  static final class RawClient {
    final BlockingQueue<Envelope> received = new LinkedBlockingQueue<>();
    Channel channel;

    static RawClient connect(EventLoopGroup group, SslContext ssl, int port) throws Exception {
      RawClient c = new RawClient();
      Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
          .handler(new AgentChannelInitializer(ssl, "127.0.0.1", port,
              () -> new SimpleChannelInboundHandler<Envelope>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, Envelope msg) {
                  c.received.add(msg);
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                  ctx.close();
                }
              }));
      c.channel = b.connect("127.0.0.1", port).sync().channel();
      return c;
    }

    void send(Envelope e) {
      channel.writeAndFlush(e);
    }

    Envelope next() throws InterruptedException {
      return RecordingListener.next(received);
    }

    boolean awaitClosed() throws InterruptedException {
      return channel.closeFuture().await(10, TimeUnit.SECONDS);
    }
  }
}
