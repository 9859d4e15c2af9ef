package dev.mayfly.migration.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.migration.checkpoint.Checkpoint;
import dev.mayfly.migration.checkpoint.CheckpointReader;
import dev.mayfly.migration.checkpoint.CheckpointWriter;
import io.netty.buffer.Unpooled;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Transfers over real TCP + mutual TLS on 127.0.0.1. */
class MigrationTransferTest {
  static final String HOST = "127.0.0.1";
  static final Duration EXPECT = Duration.ofSeconds(30);

  static TestPki pki;
  static SslContext clientSsl;
  static SslContext serverSsl;
  static MigrationReceiver receiver;
  static MigrationSender sender;
  static final AtomicInteger ids = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    pki = TestPki.create("mayfly-test-ca");
    serverSsl = pki.serverContext(pki.issue("edge-b"));
    clientSsl = pki.clientContext(pki.issue("edge-a"));
    receiver = MigrationReceiver.start(serverSsl, HOST, 0, TransferOptions.defaults());
    sender = new MigrationSender(clientSsl);
  }

  @AfterAll
  static void stop() {
    if (sender != null) sender.close();
    if (receiver != null) receiver.close();
  }

  static String newId() {
    return "mig-" + ids.incrementAndGet();
  }

  static byte[] checkpoint(String guestId, int stateBytes) throws Exception {
    byte[] state = new byte[stateBytes];
    new Random(stateBytes).nextBytes(state);
    return new CheckpointWriter().write(Checkpoint.builder(guestId, 3, "personal-firewall")
        .config("FromDevice(access) -> IPFilter(allow all) -> ToDevice(core);")
        .elementState(state)
        .metadata(Map.of("subscriber", "ue1"))
        .build());
  }

  static Throwable failure(CompletableFuture<?> f) {
    try {
      f.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("future did not fail within 30 s: " + e, e);
    }
    throw new AssertionError("future completed normally, expected a failure");
  }

  @Test
  void tenMiBCheckpointArrivesIntact() throws Exception {
    String id = newId();
    byte[] cp = checkpoint("pfw-ue1", 10 * 1024 * 1024);
    CompletableFuture<byte[]> in = receiver.expect(id, "pfw-ue1", "secret-1", EXPECT);
    TransferResult r = sender.send(HOST, receiver.port(), id, "secret-1", cp).get(30, TimeUnit.SECONDS);
    byte[] got = in.get(30, TimeUnit.SECONDS);
    assertThat(r.bytes()).isEqualTo(cp.length);
    assertThat(r.millis()).isPositive();
    assertThat(got).isEqualTo(cp);
    assertThat(new CheckpointReader().read(got).header().guestId()).isEqualTo("pfw-ue1");
    assertThat(receiver.pending()).isZero();
  }

  @Test
  void openedAheadThenSentLater() throws Exception {
    String id = newId();
    byte[] cp = checkpoint("pfw-ue2", 640_000);
    CompletableFuture<byte[]> in = receiver.expect(id, "pfw-ue2", "tok", EXPECT);
    OpenTransfer open = sender.open(HOST, receiver.port(), id, "tok").get(30, TimeUnit.SECONDS);
    assertThat(open.migrationId()).isEqualTo(id);
    assertThat(in).isNotDone();
    TransferResult r = open.send(cp).get(30, TimeUnit.SECONDS);
    assertThat(r.bytes()).isEqualTo(cp.length);
    assertThat(in.get(30, TimeUnit.SECONDS)).isEqualTo(cp);
    assertThat(failure(open.send(cp))).hasMessageContaining("send() called twice");
  }

  @Test
  void liveCommitRunsBeforeDoneAndItsReportReachesTheSender() throws Exception {
    String id = newId();
    byte[] cp = checkpoint("pfw-live", 290_000);
    java.util.concurrent.atomic.AtomicReference<Checkpoint> committed = new java.util.concurrent.atomic.AtomicReference<>();
    CompletableFuture<byte[]> in = receiver.expect(id, "pfw-live", "tok", EXPECT, (bytes, c) -> {
      committed.set(c);
      return "restore=0.8 move_traffic=0.0 resume=0.1";
    });
    OpenTransfer open = sender.open(HOST, receiver.port(), id, "tok").get(30, TimeUnit.SECONDS);
    TransferResult r = open.send(cp).get(30, TimeUnit.SECONDS);
    assertThat(r.report()).isEqualTo("restore=0.8 move_traffic=0.0 resume=0.1");
    assertThat(in.get(30, TimeUnit.SECONDS)).isEqualTo(cp);
    assertThat(committed.get().header().guestId()).isEqualTo("pfw-live");
    assertThat(committed.get().elementState()).isPresent();
  }

  @Test
  void aRefusedCommitFailsBothSidesWithItsReason() throws Exception {
    String id = newId();
    byte[] cp = checkpoint("pfw-live2", 4096);
    CompletableFuture<byte[]> in = receiver.expect(id, "pfw-live2", "tok", EXPECT, (bytes, c) -> {
      throw new IllegalStateException("import into pfw-live2: checkpoint: checksum mismatch");
    });
    CompletableFuture<TransferResult> out = sender.send(HOST, receiver.port(), id, "tok", cp);
    assertThat(failure(out)).isInstanceOf(TransferException.class)
        .hasMessageContaining("was not committed on the target: import into pfw-live2: checkpoint: checksum mismatch");
    assertThat(failure(in)).hasMessageContaining("checksum mismatch");
    assertThat(receiver.pending()).isZero();
  }

  @Test
  void openIsRefusedForAnUnknownMigrationAndAbortsCleanly() throws Exception {
    assertThat(failure(sender.open(HOST, receiver.port(), "not-announced", "tok")))
        .isInstanceOf(TransferException.class).hasMessageContaining("is not expected by this node");

    String id = newId();
    CompletableFuture<byte[]> in = receiver.expect(id, "g", "tok", EXPECT);
    OpenTransfer open = sender.open(HOST, receiver.port(), id, "tok").get(30, TimeUnit.SECONDS);
    open.abort("source guest crashed before checkpoint");
    assertThat(failure(in)).hasMessageContaining("sender aborted migration " + id)
        .hasMessageContaining("source guest crashed before checkpoint");

    String id2 = newId();
    CompletableFuture<byte[]> in2 = receiver.expect(id2, "g", "tok", EXPECT);
    OpenTransfer open2 = sender.open(HOST, receiver.port(), id2, "tok").get(30, TimeUnit.SECONDS);
    receiver.cancel(id2, "target shell discarded");
    assertThat(failure(in2)).hasMessageContaining("target shell discarded");
    // the connection is gone before any data: send reports why
    Throwable t = failure(open2.send(checkpoint("g", 100)));
    assertThat(t).isInstanceOf(TransferException.class).hasMessageContaining("target shell discarded");
  }

  @Test
  void unexpectedMigrationIdIsRefused() throws Exception {
    Throwable t = failure(sender.send(HOST, receiver.port(), "never-announced", "x", checkpoint("g", 10)));
    assertThat(t).isInstanceOf(TransferException.class)
        .hasMessageContaining("refused migration never-announced")
        .hasMessageContaining("is not expected by this node");
  }

  @Test
  void wrongTokenIsRefusedAndTheRealSenderStillGetsThrough() throws Exception {
    String id = newId();
    byte[] cp = checkpoint("g1", 1000);
    CompletableFuture<byte[]> in = receiver.expect(id, "g1", "right", EXPECT);
    Throwable t = failure(sender.send(HOST, receiver.port(), id, "wrong", cp));
    assertThat(t).isInstanceOf(TransferException.class).hasMessageContaining("wrong token for migration " + id);
    assertThat(in).isNotDone();
    sender.send(HOST, receiver.port(), id, "right", cp).get(30, TimeUnit.SECONDS);
    assertThat(in.get(30, TimeUnit.SECONDS)).isEqualTo(cp);
  }

  @Test
  void corruptedChunkIsCaughtByTheStreamChecksum() throws Exception {
    String id = newId();
    byte[] cp = checkpoint("g2", 600_000);
    CompletableFuture<byte[]> in = receiver.expect(id, "g2", "tok", EXPECT);
    CRC32C crc = new CRC32C();
    crc.update(cp);
    try (RawPeer raw = RawPeer.client(clientSsl, receiver.port())) {
      raw.send(new TransferFrame.Hello(TransferFrame.PROTOCOL_VERSION, id, "tok"));
      assertThat(raw.next()).isInstanceOf(TransferFrame.Accept.class);
      raw.send(new TransferFrame.Begin(cp.length));
      byte[] wire = cp.clone();
      wire[300_000] ^= 0x01; // a bit flipped in chunk 1, after the sender computed its CRC
      int seq = 0;
      for (int off = 0; off < wire.length; off += TransferFrame.CHUNK_BYTES) {
        int n = Math.min(TransferFrame.CHUNK_BYTES, wire.length - off);
        raw.send(new TransferFrame.Data(seq++, Unpooled.wrappedBuffer(wire, off, n)));
      }
      raw.send(new TransferFrame.End(cp.length, (int) crc.getValue()));
      TransferFrame reply = raw.next();
      assertThat(reply).isInstanceOf(TransferFrame.Error.class);
      assertThat(((TransferFrame.Error) reply).reason()).contains("CRC32C mismatch");
      raw.awaitClosed();
    }
    assertThat(failure(in)).isInstanceOf(TransferException.class)
        .hasMessageContaining("CRC32C mismatch over " + cp.length + " bytes of migration " + id)
        .hasMessageContaining("checkpoint discarded");
    assertThat(receiver.pending()).isZero();
  }

  @Test
  void corruptedCheckpointIsCaughtByTheCheckpointChecksum() throws Exception {
    String id = newId();
    byte[] cp = checkpoint("g3", 5000);
    cp[cp.length - 100] ^= 0x40; // corrupted before sending: the stream CRC matches, the checkpoint's does not
    CompletableFuture<byte[]> in = receiver.expect(id, "g3", "tok", EXPECT);
    Throwable t = failure(sender.send(HOST, receiver.port(), id, "tok", cp));
    assertThat(t).isInstanceOf(TransferException.class).hasMessageContaining("invalid checkpoint")
        .hasMessageContaining("CRC32C mismatch");
    assertThat(failure(in)).hasMessageContaining("delivered an invalid checkpoint");
  }

  @Test
  void checkpointOfAnotherGuestIsRejected() throws Exception {
    String id = newId();
    CompletableFuture<byte[]> in = receiver.expect(id, "expected-guest", "tok", EXPECT);
    Throwable t = failure(sender.send(HOST, receiver.port(), id, "tok", checkpoint("other-guest", 100)));
    assertThat(t).hasMessageContaining("checkpoint of guest other-guest, expected expected-guest");
    assertThat(failure(in)).isInstanceOf(TransferException.class);
  }

  @Test
  void senderKilledMidTransferFailsTheReceiver() throws Exception {
    String id = newId();
    byte[] cp = checkpoint("g4", 1_000_000);
    CompletableFuture<byte[]> in = receiver.expect(id, "g4", "tok", EXPECT);
    try (RawPeer raw = RawPeer.client(clientSsl, receiver.port())) {
      raw.send(new TransferFrame.Hello(TransferFrame.PROTOCOL_VERSION, id, "tok"));
      assertThat(raw.next()).isInstanceOf(TransferFrame.Accept.class);
      raw.send(new TransferFrame.Begin(cp.length));
      raw.send(new TransferFrame.Data(0, Unpooled.wrappedBuffer(cp, 0, TransferFrame.CHUNK_BYTES)));
      raw.hangUp();
    }
    assertThat(failure(in)).isInstanceOf(TransferException.class)
        .hasMessageContaining("closed after " + TransferFrame.CHUNK_BYTES + " of " + cp.length + " bytes of migration " + id)
        .hasMessageContaining("partial checkpoint discarded");
    assertThat(receiver.pending()).isZero();
  }

  @Test
  void receiverHangingUpMidTransferFailsTheSender() throws Exception {
    AtomicInteger chunks = new AtomicInteger();
    try (RawPeer fake = RawPeer.server(serverSsl, (ch, f) -> {
      if (f instanceof TransferFrame.Hello) ch.writeAndFlush(new TransferFrame.Accept());
      if (f instanceof TransferFrame.Data && chunks.incrementAndGet() == 1) ch.close();
    })) {
      byte[] cp = checkpoint("g5", 4_000_000);
      Throwable t = failure(sender.send(HOST, fake.port(), newId(), "tok", cp));
      // a closed connection shows up as the close itself or as a failed write (broken pipe)
      assertThat(t).isInstanceOf(TransferException.class)
          .hasMessageContaining("receiver " + HOST + ":" + fake.port())
          .hasMessageMatching("(?s).* after \\d+ of " + cp.length + " bytes were written.*");
    }
  }

  @Test
  void receiverCancelAbortsTheStream() throws Exception {
    String id = newId();
    byte[] cp = checkpoint("g6", 1_000_000);
    CompletableFuture<byte[]> in = receiver.expect(id, "g6", "tok", EXPECT);
    try (RawPeer raw = RawPeer.client(clientSsl, receiver.port())) {
      raw.send(new TransferFrame.Hello(TransferFrame.PROTOCOL_VERSION, id, "tok"));
      assertThat(raw.next()).isInstanceOf(TransferFrame.Accept.class);
      raw.send(new TransferFrame.Begin(cp.length));
      raw.send(new TransferFrame.Data(0, Unpooled.wrappedBuffer(cp, 0, 1000)));
      assertThat(receiver.cancel(id, "target agent shutting down")).isTrue();
      TransferFrame reply = raw.next();
      assertThat(reply).isInstanceOf(TransferFrame.Error.class);
      assertThat(((TransferFrame.Error) reply).reason()).contains("cancelled by receiver: target agent shutting down");
      raw.awaitClosed();
    }
    assertThat(failure(in)).hasMessageContaining("target agent shutting down");
    assertThat(receiver.cancel(id, "again")).isFalse();
  }

  @Test
  void senderCancelAbortsTheReceiver() throws Exception {
    String id = newId();
    CompletableFuture<byte[]> in = receiver.expect(id, "g7", "tok", EXPECT);
    try (RawPeer fake = RawPeer.server(serverSsl, (ch, f) -> {})) {
      // a receiver that never answers: the sender waits for ACCEPT until it is cancelled
      CompletableFuture<TransferResult> out = sender.send(HOST, fake.port(), id, "tok", checkpoint("g7", 100));
      assertThat(fake.next()).isInstanceOf(TransferFrame.Hello.class);
      out.cancel(true);
      TransferFrame abort = fake.next();
      assertThat(abort).isInstanceOf(TransferFrame.Error.class);
      assertThat(((TransferFrame.Error) abort).reason()).isEqualTo("aborted by sender");
    }
    // and the real receiver maps a sender's ERROR frame to a failure with the reason
    try (RawPeer raw = RawPeer.client(clientSsl, receiver.port())) {
      raw.send(new TransferFrame.Hello(TransferFrame.PROTOCOL_VERSION, id, "tok"));
      assertThat(raw.next()).isInstanceOf(TransferFrame.Accept.class);
      raw.send(new TransferFrame.Begin(1000));
      raw.send(new TransferFrame.Error("source guest crashed"));
      raw.awaitClosed();
    }
    assertThat(failure(in)).hasMessageContaining("sender aborted migration " + id + ": source guest crashed");
  }

  @Test
  void oversizedDeclarationIsRefusedWithoutAllocating() throws Exception {
    String id = newId();
    CompletableFuture<byte[]> in = receiver.expect(id, "g8", "tok", EXPECT);
    try (RawPeer raw = RawPeer.client(clientSsl, receiver.port())) {
      raw.send(new TransferFrame.Hello(TransferFrame.PROTOCOL_VERSION, id, "tok"));
      assertThat(raw.next()).isInstanceOf(TransferFrame.Accept.class);
      raw.send(new TransferFrame.Begin(64L * 1024 * 1024 * 1024));
      TransferFrame reply = raw.next();
      assertThat(reply).isInstanceOf(TransferFrame.Error.class);
      assertThat(((TransferFrame.Error) reply).reason()).contains("declares 68719476736 bytes");
    }
    assertThat(failure(in)).hasMessageContaining("accepted sizes are");
  }

  @Test
  void outOfOrderChunkFailsTheTransfer() throws Exception {
    String id = newId();
    byte[] cp = checkpoint("g9", 600_000);
    CompletableFuture<byte[]> in = receiver.expect(id, "g9", "tok", EXPECT);
    try (RawPeer raw = RawPeer.client(clientSsl, receiver.port())) {
      raw.send(new TransferFrame.Hello(TransferFrame.PROTOCOL_VERSION, id, "tok"));
      assertThat(raw.next()).isInstanceOf(TransferFrame.Accept.class);
      raw.send(new TransferFrame.Begin(cp.length));
      raw.send(new TransferFrame.Data(1, Unpooled.wrappedBuffer(cp, 0, 100)));
      assertThat(raw.next()).isInstanceOf(TransferFrame.Error.class);
    }
    assertThat(failure(in)).hasMessageContaining("chunk 1 arrived where chunk 0 was expected");
  }

  @Test
  void clientCertificateFromAnotherCaIsRefused() throws Exception {
    String id = newId();
    CompletableFuture<byte[]> in = receiver.expect(id, "g10", "tok", EXPECT);
    TestPki rogue = TestPki.create("rogue-ca");
    // trusts our CA (so it accepts the receiver) but presents a certificate our CA did not issue
    SslContext rogueSsl = MigrationTls.client(rogue.issue("intruder").keys(), pki.trust());
    try (MigrationSender rogueSender = new MigrationSender(rogueSsl)) {
      Throwable t = failure(rogueSender.send(HOST, receiver.port(), id, "tok", checkpoint("g10", 100)));
      assertThat(t).isInstanceOf(TransferException.class);
    }
    assertThat(in).isNotDone();
    assertThat(receiver.cancel(id, "test over")).isTrue();
  }

  @Test
  void expectationTimesOutAndIdleStreamsAreCut() throws Exception {
    CompletableFuture<byte[]> lonely = receiver.expect(newId(), "g11", "tok", Duration.ofMillis(200));
    assertThat(failure(lonely)).isInstanceOf(TransferException.class).hasMessageContaining("within 200 ms");

    try (MigrationReceiver impatient = MigrationReceiver.start(serverSsl, HOST, 0,
        TransferOptions.defaults().withIdleTimeout(Duration.ofMillis(300)))) {
      String id = newId();
      CompletableFuture<byte[]> in = impatient.expect(id, "g12", "tok", EXPECT);
      try (RawPeer raw = RawPeer.client(clientSsl, impatient.port())) {
        raw.send(new TransferFrame.Hello(TransferFrame.PROTOCOL_VERSION, id, "tok"));
        assertThat(raw.next()).isInstanceOf(TransferFrame.Accept.class);
        raw.send(new TransferFrame.Begin(100_000));
        raw.awaitClosed(); // nothing more is sent
      }
      assertThat(failure(in)).hasMessageContaining("idle timeout");
    }
  }

  @Test
  void badArgumentsAreRejected() throws Exception {
    assertThatThrownBy(() -> receiver.expect(" ", "g", "t", EXPECT)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("migrationId");
    String id = newId();
    CompletableFuture<byte[]> f = receiver.expect(id, "g", "t", EXPECT);
    assertThatThrownBy(() -> receiver.expect(id, "g", "t", EXPECT)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already expected");
    f.cancel(true);
    assertThat(receiver.pending()).isZero();
    assertThat(failure(sender.send(HOST, receiver.port(), "m", "t", new byte[10])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("checkpoint is 10 bytes");
    Throwable t = failure(new MigrationSender(clientSsl, TransferOptions.defaults().withConnectTimeout(Duration.ofSeconds(2)))
        .send(HOST, 1, "m", "t", checkpoint("g", 10)));
    assertThat(t).isInstanceOf(TransferException.class).hasMessageContaining("cannot connect to 127.0.0.1:1");
    assertThat(Arrays.asList(serverSsl.isServer(), clientSsl.isClient())).containsOnly(true);
  }
}
