package dev.mayfly.migration.transfer;

import dev.mayfly.migration.checkpoint.Checkpoint;
import dev.mayfly.migration.checkpoint.CheckpointFormat;
import dev.mayfly.migration.checkpoint.CheckpointFormatException;
import dev.mayfly.migration.checkpoint.CheckpointReader;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target agent's end of a migration stream: a TLS server (client certificates required) that
 * accepts one checkpoint per announced migration.
 *
 * <p>The agent calls {@link #expect} when the controller prepares the target; the returned future
 * completes with the checkpoint bytes once they arrived complete, their CRC32C matched the
 * sender's, and they decode as a valid {@code MFCK} checkpoint of the expected guest. It fails
 * with a {@link TransferException} when the transfer is refused, aborted by either side, corrupted,
 * stalls longer than the idle timeout, or does not complete within the expectation's timeout; a
 * partial stream is discarded. An unknown migration id or a wrong token is refused without
 * touching the expectation (so a stray or hostile peer cannot fail a real migration).
 */
public final class MigrationReceiver implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MigrationReceiver.class);

  /**
   * TEST-ONLY fault injection, never set in production: with the environment variable
   * {@code MAYFLY_TEST_DELAY_RECEIVE_MS} (or the system property
   * {@code mayfly.test.delay-receive-ms}) set to N &gt; 0 at start, the receiver holds every
   * complete transfer for N ms before verifying and answering it (logged as a warning), so an
   * end-to-end test can kill this agent while a migration stream is open
   * (tests/e2e/handover_fault_test.sh). Keep N below the idle timeout (10 s).
   */
  static final long TEST_DELAY_RECEIVE_MS = testDelay();

  private static long testDelay() {
    String v = System.getProperty("mayfly.test.delay-receive-ms", System.getenv("MAYFLY_TEST_DELAY_RECEIVE_MS"));
    if (v == null || v.isBlank()) {
      return 0;
    }
    try {
      long ms = Long.parseLong(v.trim());
      if (ms > 0) {
        log.warn("TEST-ONLY fault injection active: MAYFLY_TEST_DELAY_RECEIVE_MS={} (every received migration is"
            + " held {} ms before it is verified)", ms, ms);
      }
      return Math.max(0, ms);
    } catch (NumberFormatException e) {
      log.warn("MAYFLY_TEST_DELAY_RECEIVE_MS='{}' is not a number of milliseconds; ignored", v);
      return 0;
    }
  }

  private final SslContext ssl;
  private final TransferOptions options;
  private final EventLoopGroup group;
  private final Channel server;
  private final Map<String, Expectation> expected = new ConcurrentHashMap<>();

  /**
   * What a live migration does on the target once the checkpoint is verified, before the sender
   * hears DONE: typically import the state into the guest booted ahead and let it take the
   * traffic. Runs on the receiver's event loop (keep it short: it blocks other transfers of this
   * receiver while it runs). Its return value (a short report, at
   * most 4096 UTF-8 bytes, e.g. the target's timings) goes back in DONE; an exception refuses the
   * checkpoint (the sender gets ERROR with its message and the expectation fails).
   */
  @FunctionalInterface
  public interface Commit {
    String apply(byte[] bytes, Checkpoint checkpoint) throws Exception;
  }

  private MigrationReceiver(SslContext ssl, TransferOptions options, String bindHost, int port)
      throws TransferException {
    this.ssl = ssl;
    this.options = options;
    this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      this.server = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              TransferPipeline.server(ch, MigrationReceiver.this.ssl, new ReceiverHandler());
              ch.pipeline().addBefore("transfer", "idle",
                  new ReadTimeoutHandler(options.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
            }
          })
          .bind(bindHost, port).syncUninterruptibly().channel();
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw new TransferException("cannot listen for migrations on " + bindHost + ":" + port + ": " + e, e);
    }
    log.info("migration receiver listening on {}", server.localAddress());
  }

  /**
   * Starts listening.
   *
   * @param serverSsl a server context requiring client certificates, e.g. from {@link MigrationTls#server}
   * @param bindHost address to bind (the node's address on the management network, or 127.0.0.1)
   * @param port port to bind; 0 picks a free one (see {@link #port()})
   */
  public static MigrationReceiver start(SslContext serverSsl, String bindHost, int port, TransferOptions options)
      throws TransferException {
    Objects.requireNonNull(serverSsl, "serverSsl");
    Objects.requireNonNull(bindHost, "bindHost");
    Objects.requireNonNull(options, "options");
    if (!serverSsl.isServer()) throw new IllegalArgumentException("serverSsl is a client context");
    if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535, got " + port);
    return new MigrationReceiver(serverSsl, options, bindHost, port);
  }

  /** The bound port. */
  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Migrations announced and not yet completed or failed. */
  public int pending() {
    return expected.size();
  }

  /**
   * Announces an incoming checkpoint. The future completes with the verified checkpoint bytes, or
   * fails with a {@link TransferException} (or is cancelled by the caller, which aborts a transfer
   * in progress). Each announcement accepts one transfer; after a failure, announce again.
   *
   * @param token a secret the controller gave both agents for this migration (compared in constant time)
   * @param timeout how long the whole transfer may take from now
   * @throws IllegalStateException if this migration id is already expected
   */
  public CompletableFuture<byte[]> expect(String migrationId, String guestId, String token, Duration timeout) {
    return expect(migrationId, guestId, token, timeout, null);
  }

  /**
   * {@link #expect(String, String, String, Duration)} for a live migration: {@code commit} runs
   * once the checkpoint is verified, and DONE (with its report) goes back only after it
   * succeeded; the future completes after the commit. Null: no commit (DONE at once).
   */
  public CompletableFuture<byte[]> expect(String migrationId, String guestId, String token, Duration timeout,
      Commit commit) {
    checkText(migrationId, "migrationId", TransferFrame.MAX_ID_BYTES);
    checkText(guestId, "guestId", 255);
    checkText(token, "token", TransferFrame.MAX_TOKEN_BYTES);
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    Expectation e = new Expectation(migrationId, guestId, token.getBytes(StandardCharsets.UTF_8), commit);
    if (expected.putIfAbsent(migrationId, e) != null) {
      throw new IllegalStateException("migration " + migrationId + " is already expected");
    }
    e.timer = group.next().schedule(
        () -> e.fail("no complete transfer of migration " + migrationId + " within " + timeout.toMillis() + " ms"),
        timeout.toMillis(), TimeUnit.MILLISECONDS);
    e.future.whenComplete((bytes, err) -> {
      expected.remove(migrationId, e);
      ScheduledFuture<?> t = e.timer;
      if (t != null) t.cancel(false);
      Channel ch = e.channel;
      if (err != null && ch != null && ch.isActive()) {
        String reason = err instanceof TransferException ? err.getMessage() : "aborted by receiver: " + err;
        ch.writeAndFlush(new TransferFrame.Error(reason)).addListener(ChannelFutureListener.CLOSE);
      }
    });
    return e.future;
  }

  /** Fails the expectation (aborting a transfer in progress). Returns false if it was not pending. */
  public boolean cancel(String migrationId, String reason) {
    Expectation e = expected.get(migrationId);
    return e != null && e.fail("migration " + migrationId + " cancelled by receiver: " + reason);
  }

  /** Fails every pending expectation and stops listening. */
  @Override
  public void close() {
    for (Expectation e : expected.values()) e.fail("migration receiver closing");
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static void checkText(String v, String field, int maxBytes) {
    Objects.requireNonNull(v, field);
    int n = v.getBytes(StandardCharsets.UTF_8).length;
    if (v.isBlank() || n > maxBytes) {
      throw new IllegalArgumentException(field + " must be non-blank and at most " + maxBytes + " UTF-8 bytes");
    }
  }

  private static final class Expectation {
    final String migrationId;
    final String guestId;
    final byte[] token;
    final Commit commit;
    final CompletableFuture<byte[]> future = new CompletableFuture<>();
    final AtomicBoolean claimed = new AtomicBoolean();
    volatile Channel channel;
    volatile ScheduledFuture<?> timer;

    Expectation(String migrationId, String guestId, byte[] token, Commit commit) {
      this.migrationId = migrationId;
      this.guestId = guestId;
      this.token = token;
      this.commit = commit;
    }

    boolean fail(String reason) {
      return future.completeExceptionally(new TransferException(reason));
    }
  }

  /** One connection. Runs on its event loop only. */
  private final class ReceiverHandler extends ChannelInboundHandlerAdapter {
    private Expectation exp;
    private byte[] buf;
    private int received;
    private int nextSeq;
    private final CRC32C crc = new CRC32C();
    private boolean held; // TEST_DELAY_RECEIVE_MS applied to this connection

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (exp != null && exp.future.isDone()) {
          return; // failed, cancelled or timed out: the ERROR frame is on its way, the connection closing
        }
        if (msg instanceof TransferFrame.Hello h) {
          onHello(ctx, h);
        } else if (msg instanceof TransferFrame.Begin b) {
          onBegin(ctx, b);
        } else if (msg instanceof TransferFrame.Data d) {
          onData(ctx, d);
        } else if (msg instanceof TransferFrame.End e) {
          onEnd(ctx, e);
        } else if (msg instanceof TransferFrame.Error e) {
          if (exp != null) fail("sender aborted migration " + exp.migrationId + ": " + e.reason());
          ctx.close();
        } else {
          protocolError(ctx, "unexpected frame " + msg.getClass().getSimpleName() + " from the sender");
        }
      } finally {
        if (msg instanceof TransferFrame.Data d) d.chunk().release();
      }
    }

    private void onHello(ChannelHandlerContext ctx, TransferFrame.Hello h) {
      if (exp != null) {
        protocolError(ctx, "second HELLO on one connection");
        return;
      }
      if (h.version() != TransferFrame.PROTOCOL_VERSION) {
        refuse(ctx, "unsupported transfer protocol version " + h.version() + ", this node speaks "
            + TransferFrame.PROTOCOL_VERSION);
        return;
      }
      Expectation e = expected.get(h.migrationId());
      if (e == null) {
        refuse(ctx, "migration " + h.migrationId() + " is not expected by this node");
        return;
      }
      if (!MessageDigest.isEqual(e.token, h.token().getBytes(StandardCharsets.UTF_8))) {
        log.warn("refused migration {} from {}: wrong token", h.migrationId(), ctx.channel().remoteAddress());
        refuse(ctx, "wrong token for migration " + h.migrationId());
        return;
      }
      if (!e.claimed.compareAndSet(false, true)) {
        refuse(ctx, "migration " + h.migrationId() + " is already being received on another connection");
        return;
      }
      exp = e;
      e.channel = ctx.channel();
      if (e.future.isDone()) {
        refuse(ctx, "migration " + h.migrationId() + " is no longer expected");
        return;
      }
      ctx.writeAndFlush(new TransferFrame.Accept());
    }

    private void onBegin(ChannelHandlerContext ctx, TransferFrame.Begin b) {
      if (exp == null || buf != null || received > 0) {
        protocolError(ctx, "BEGIN " + (exp == null ? "before an accepted HELLO" : "sent twice"));
        return;
      }
      if (b.totalBytes() < CheckpointFormat.MIN_BYTES || b.totalBytes() > options.maxBytes()) {
        fail("migration " + exp.migrationId + " declares " + b.totalBytes() + " bytes; accepted sizes are "
            + CheckpointFormat.MIN_BYTES + ".." + options.maxBytes());
        return;
      }
      buf = new byte[(int) b.totalBytes()];
    }

    private void onData(ChannelHandlerContext ctx, TransferFrame.Data d) {
      if (buf == null) {
        protocolError(ctx, "DATA before BEGIN");
        return;
      }
      int n = d.chunk().readableBytes();
      if (d.seq() != nextSeq) {
        fail("chunk " + d.seq() + " arrived where chunk " + nextSeq + " was expected");
      } else if (n == 0 || n > TransferFrame.CHUNK_BYTES) {
        fail("chunk " + d.seq() + " has " + n + " bytes, allowed 1.." + TransferFrame.CHUNK_BYTES);
      } else if ((long) received + n > buf.length) {
        fail("chunk " + d.seq() + " goes past the declared size of " + buf.length + " bytes");
      } else {
        d.chunk().readBytes(buf, received, n);
        crc.update(buf, received, n);
        received += n;
        nextSeq++;
      }
    }

    private void onEnd(ChannelHandlerContext ctx, TransferFrame.End e) {
      if (buf == null) {
        protocolError(ctx, "END before BEGIN");
        return;
      }
      if (TEST_DELAY_RECEIVE_MS > 0 && !held) { // test-only, see TEST_DELAY_RECEIVE_MS
        held = true;
        Expectation x = exp;
        log.warn("TEST-ONLY fault injection: holding the received stream of migration {} for {} ms",
            x.migrationId, TEST_DELAY_RECEIVE_MS);
        ctx.executor().schedule(() -> {
          if (!x.future.isDone() && ctx.channel().isActive()) {
            onEnd(ctx, e);
          }
        }, TEST_DELAY_RECEIVE_MS, TimeUnit.MILLISECONDS);
        return;
      }
      if (e.totalBytes() != buf.length || received != buf.length) {
        fail("END after " + received + " bytes, but " + buf.length + " were declared (END says " + e.totalBytes() + ")");
        return;
      }
      int computed = (int) crc.getValue();
      if (computed != e.crc32c()) {
        fail(String.format("CRC32C mismatch over %d bytes of migration %s: sender 0x%08X, received 0x%08X;"
            + " stream corrupted, checkpoint discarded", received, exp.migrationId, e.crc32c(), computed));
        return;
      }
      Checkpoint cp;
      try {
        cp = new CheckpointReader(Math.max(options.maxBytes(), CheckpointFormat.MIN_BYTES)).read(buf);
      } catch (CheckpointFormatException x) {
        fail("migration " + exp.migrationId + " delivered an invalid checkpoint: " + x.getMessage());
        return;
      }
      if (!cp.header().guestId().equals(exp.guestId)) {
        fail("migration " + exp.migrationId + " delivered a checkpoint of guest " + cp.header().guestId()
            + ", expected " + exp.guestId);
        return;
      }
      byte[] done = buf;
      buf = null;
      if (exp.commit == null) {
        ctx.writeAndFlush(new TransferFrame.Done(done.length)).addListener(ChannelFutureListener.CLOSE);
        exp.future.complete(done);
        return;
      }
      commit(exp, ctx.channel(), done, cp);
    }

    /**
     * On the event loop, inline: apply, then DONE with the report (or ERROR via the expectation).
     * Inline because every thread hand-off inside the downtime costs a scheduler wake-up (on a busy
     * host several ms); the loop is the receiver's own and waits for the commit (~1 ms at 10 000
     * flows), a concurrent transfer's frames just queue meanwhile.
     */
    private void commit(Expectation e, Channel ch, byte[] bytes, Checkpoint cp) {
      String report;
      try {
        report = e.commit.apply(bytes, cp);
      } catch (Exception x) {
        String why = x.getMessage() == null ? x.toString() : x.getMessage();
        log.warn("migration {}: commit refused: {}", e.migrationId, why);
        e.fail("migration " + e.migrationId + " was not committed on the target: " + why);
        return;
      }
      if (e.future.complete(bytes)) {
        ch.writeAndFlush(new TransferFrame.Done(bytes.length, report)).addListener(ChannelFutureListener.CLOSE);
      }
    }

    private void fail(String reason) {
      buf = null;
      log.warn("migration transfer failed: {}", reason);
      exp.fail(reason); // the expectation's completion hook sends ERROR and closes
    }

    private void refuse(ChannelHandlerContext ctx, String reason) {
      log.warn("refused a migration stream from {}: {}", ctx.channel().remoteAddress(), reason);
      ctx.writeAndFlush(new TransferFrame.Error(reason)).addListener(ChannelFutureListener.CLOSE);
    }

    private void protocolError(ChannelHandlerContext ctx, String reason) {
      if (exp != null) fail("protocol error: " + reason);
      else refuse(ctx, "protocol error: " + reason);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (exp != null && !exp.future.isDone()) {
        fail("connection from " + ctx.channel().remoteAddress() + " closed after " + received + " of "
            + (buf == null ? "?" : buf.length) + " bytes of migration " + exp.migrationId
            + "; partial checkpoint discarded");
      }
      buf = null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      String why = Transfers.describe(cause, options);
      if (exp != null && !exp.future.isDone()) {
        fail("migration " + exp.migrationId + " from " + ctx.channel().remoteAddress() + " failed after "
            + received + " bytes: " + why);
      } else {
        log.warn("migration stream from {} failed: {}", ctx.channel().remoteAddress(), why);
      }
      ctx.close();
    }
  }
}
