package dev.mayfly.controller.southbound;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.mayfly.southbound.v1.Enroll;
import dev.mayfly.southbound.v1.Envelope;
import dev.mayfly.southbound.v1.Heartbeat;
import dev.mayfly.southbound.v1.Register;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The southbound pipeline without sockets (EmbeddedChannel, no TLS stage = no client cert). */
class SouthboundCodecTest {
  @TempDir static Path home;
  static SouthboundServer server;
  static RecordingListener listener = new RecordingListener();

  @BeforeAll
  static void setUp() throws Exception {
    SouthboundSettings s = new SouthboundSettings("127.0.0.1", 0, home, "sesame", 1000, List.of(),
        64 * 1024);
    server = new SouthboundServer(s, CertificateAuthority.loadOrCreate(s.pkiDir(), List.of()),
        BootstrapToken.of("sesame"), listener);
  }

  private static EmbeddedChannel channel() {
    EmbeddedChannel ch = new EmbeddedChannel();
    SouthboundChannelInitializer.configure(ch.pipeline(), null, server);
    return ch;
  }

  private static ByteBuf frame(byte[] payload) {
    ByteBuf b = Unpooled.buffer();
    writeVarint(b, payload.length);
    b.writeBytes(payload);
    return b;
  }

  private static void writeVarint(ByteBuf b, int v) {
    while ((v & ~0x7F) != 0) {
      b.writeByte((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    b.writeByte(v);
  }

  /** Decodes every frame the server wrote. */
  private static List<Envelope> written(EmbeddedChannel ch) throws Exception {
    ByteBuf all = Unpooled.buffer();
    for (Object o; (o = ch.readOutbound()) != null; ) {
      ByteBuf b = (ByteBuf) o;
      all.writeBytes(b);
      b.release();
    }
    List<Envelope> out = new ArrayList<>();
    while (all.isReadable()) {
      int len = 0;
      int shift = 0;
      int x;
      do {
        x = all.readByte();
        len |= (x & 0x7F) << shift;
        shift += 7;
      } while ((x & 0x80) != 0);
      byte[] p = new byte[len];
      all.readBytes(p);
      out.add(Envelope.parseFrom(p));
    }
    all.release();
    return out;
  }

  @Test
  void garbledFrameClosesTheConnectionWithAnError() throws Exception {
    EmbeddedChannel ch = channel();
    ch.writeInbound(frame(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02}));
    List<Envelope> out = written(ch);
    assertThat(out).hasSize(1);
    assertThat(out.get(0).getError().getCode()).isEqualTo("GARBLED_FRAME");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void oversizedFrameClosesTheConnection() throws Exception {
    EmbeddedChannel ch = channel();
    ByteBuf b = Unpooled.buffer();
    writeVarint(b, 1 << 20); // 1 MiB > 64 KiB limit of this server
    b.writeBytes(new byte[100]);
    ch.writeInbound(b);
    List<Envelope> out = written(ch);
    assertThat(out).hasSize(1);
    assertThat(out.get(0).getError().getCode()).isEqualTo("FRAME_TOO_LARGE");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void wrongProtocolVersionIsRefused() throws Exception {
    EmbeddedChannel ch = channel();
    Envelope env = Envelope.newBuilder().setProtocolVersion(2)
        .setHeartbeat(Heartbeat.newBuilder().setSentUnixMs(1)).build();
    ch.writeInbound(frame(env.toByteArray()));
    List<Envelope> out = written(ch);
    assertThat(out.get(0).getError().getCode()).isEqualTo("UNSUPPORTED_VERSION");
    assertThat(out.get(0).getError().getMessage()).contains("protocol_version 2");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void registerWithoutClientCertificateIsRefused() throws Exception {
    int before = listener.registered.size();
    EmbeddedChannel ch = channel();
    Envelope env = Envelopes.envelope()
        .setRegister(Register.newBuilder().setNodeName("edge-x")).build();
    ch.writeInbound(frame(env.toByteArray()));
    List<Envelope> out = written(ch);
    assertThat(out.get(0).getError().getCode()).isEqualTo("UNAUTHENTICATED");
    assertThat(ch.isOpen()).isFalse();
    assertThat(listener.registered).hasSize(before);
    assertThat(server.isConnected("edge-x")).isFalse();
  }

  @Test
  void heartbeatWithoutClientCertificateIsRefused() throws Exception {
    EmbeddedChannel ch = channel();
    ch.writeInbound(frame(Envelopes.envelope()
        .setHeartbeat(Heartbeat.newBuilder().setSentUnixMs(1)).build().toByteArray()));
    assertThat(written(ch).get(0).getError().getCode()).isEqualTo("UNAUTHENTICATED");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void enrollWithWrongTokenIsRefused() throws Exception {
    EmbeddedChannel ch = channel();
    ch.writeInbound(frame(enroll("open-up", "edge-a", csr("edge-a")).toByteArray()));
    Envelope e = written(ch).get(0);
    assertThat(e.getError().getCode()).isEqualTo("ENROLL_REJECTED");
    assertThat(e.getError().getMessage()).contains("wrong bootstrap token");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void enrollWithBadNodeNameIsRefused() throws Exception {
    EmbeddedChannel ch = channel();
    ch.writeInbound(frame(enroll("sesame", "Edge_A", csr("x")).toByteArray()));
    Envelope e = written(ch).get(0);
    assertThat(e.getError().getCode()).isEqualTo("ENROLL_REJECTED");
    assertThat(e.getError().getMessage()).contains("node_name 'Edge_A'");
  }

  @Test
  void enrollWithGarbageCsrIsRefused() throws Exception {
    EmbeddedChannel ch = channel();
    ch.writeInbound(frame(enroll("sesame", "edge-a", new byte[] {1, 2, 3}).toByteArray()));
    Envelope e = written(ch).get(0);
    assertThat(e.getError().getCode()).isEqualTo("ENROLL_REJECTED");
    assertThat(e.getError().getMessage()).contains("csr_der");
  }

  @Test
  void enrollWithRightTokenReturnsASignedCertificateAndCloses() throws Exception {
    EmbeddedChannel ch = channel();
    ch.writeInbound(frame(enroll("sesame", "edge-a", csr("whatever")).toByteArray()));
    Envelope e = written(ch).get(0);
    assertThat(e.hasEnrollResponse()).isTrue();
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    X509Certificate cert = (X509Certificate) cf.generateCertificate(
        new ByteArrayInputStream(e.getEnrollResponse().getCertificateDer().toByteArray()));
    X509Certificate ca = (X509Certificate) cf.generateCertificate(
        new ByteArrayInputStream(e.getEnrollResponse().getCaCertificateDer().toByteArray()));
    cert.verify(ca.getPublicKey());
    assertThat(CertificateAuthority.commonName(cert)).isEqualTo("edge-a");
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(ch.isOpen()).isFalse();
  }

  private static Envelope enroll(String token, String node, byte[] csr) {
    return Envelopes.envelope().setEnroll(Enroll.newBuilder()
        .setBootstrapToken(token).setNodeName(node).setCsrDer(ByteString.copyFrom(csr))).build();
  }

  private static byte[] csr(String cn) throws Exception {
    KeyPair kp = CertificateAuthority.newKeyPair();
    return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + cn), kp.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())).getEncoded();
  }
}
