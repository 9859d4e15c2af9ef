package dev.mayfly.migration.transfer;

import dev.mayfly.migration.checkpoint.CheckpointFormat;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source agent's end of a migration stream: dials the target's {@link MigrationReceiver}
 * over mutual TLS and streams one checkpoint in 256 KiB chunks, following the channel's
 * writability (only a few chunks are buffered at a time), then waits for the receiver's verdict.
 * One instance (one event loop thread) serves any number of concurrent transfers.
 *
 * <p>Two ways to use it: {@link #send} does everything in one call; {@link #open} connects and
 * gets the migration accepted ahead of time (before the guest is paused), and
 * {@link OpenTransfer#send} then only streams the data.
 */
public final class MigrationSender implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MigrationSender.class);

  private final SslContext ssl;
  private final TransferOptions options;
  private final EventLoopGroup group;

  public MigrationSender(SslContext clientSsl) {
    this(clientSsl, TransferOptions.defaults());
  }

  /** @param clientSsl a client context with this agent's certificate, e.g. from {@link MigrationTls#client} */
  public MigrationSender(SslContext clientSsl, TransferOptions options) {
    this.ssl = Objects.requireNonNull(clientSsl, "clientSsl");
    this.options = Objects.requireNonNull(options, "options");
    if (!clientSsl.isClient()) throw new IllegalArgumentException("clientSsl is a server context");
    this.group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  /**
   * Streams {@code checkpoint} to the receiver at {@code host:port} for {@code migrationId}.
   * The future completes when the receiver confirmed the bytes (size, CRC32C, checkpoint format
   * and guest id checked), or fails with a {@link TransferException} naming the reason: connect
   * or TLS failure, refusal (unknown migration, wrong token, too large), receiver abort or close,
   * or the transfer timeout. Cancelling the future aborts the transfer: the receiver gets an
   * ERROR frame and discards what it has. {@link TransferResult#millis()} counts from this call.
   */
  public CompletableFuture<TransferResult> send(String host, int port, String migrationId, String token, byte[] checkpoint) {
    CompletableFuture<TransferResult> result = new CompletableFuture<>();
    try {
      checkCheckpoint(checkpoint);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    Transfer t = connect(host, port, migrationId, token, result);
    if (t != null) t.sendWhenAccepted(checkpoint);
    return result;
  }

  /**
   * Connects, completes TLS and gets {@code migrationId} accepted by the receiver, without sending
   * data. The future completes with the open connection, or fails with a {@link TransferException}
   * (connect, TLS, refusal, or the transfer timeout).
   */
  public CompletableFuture<OpenTransfer> open(String host, int port, String migrationId, String token) {
    CompletableFuture<TransferResult> result = new CompletableFuture<>();
    Transfer t = connect(host, port, migrationId, token, result);
    if (t == null) return result.thenApply(r -> null);
    return t.opened;
  }

  private void checkCheckpoint(byte[] checkpoint) {
    Objects.requireNonNull(checkpoint, "checkpoint");
    if (checkpoint.length < CheckpointFormat.MIN_BYTES || checkpoint.length > options.maxBytes()) {
      throw new IllegalArgumentException("checkpoint is " + checkpoint.length + " bytes; sendable sizes are "
          + CheckpointFormat.MIN_BYTES + ".." + options.maxBytes());
    }
  }

  /** Starts a connection; returns null (with {@code result} failed) on bad arguments. */
  private Transfer connect(String host, int port, String migrationId, String token,
      CompletableFuture<TransferResult> result) {
    try {
      Objects.requireNonNull(host, "host");
      check(migrationId, "migrationId", TransferFrame.MAX_ID_BYTES);
      check(token, "token", TransferFrame.MAX_TOKEN_BYTES);
      if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be 1..65535, got " + port);
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return null;
    }
    String peer = host + ":" + port;
    Transfer t = new Transfer(result, migrationId, token, peer);
    ChannelFuture connect = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()))
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            TransferPipeline.client(ch, ssl, host, port, t);
          }
        })
        .connect(host, port);
    t.channel = connect.channel();
    connect.addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        t.fail("migration " + migrationId + ": cannot connect to " + peer + ": " + Transfers.describe(f.cause(), options));
      }
    });
    t.armTimer("was not accepted");
    result.whenComplete((r, err) -> {
      t.cancelTimer();
      if (err != null) {
        t.opened.completeExceptionally(err);
        Channel ch = t.channel;
        if (ch.isActive()) {
          String reason = err instanceof CancellationException ? "aborted by sender" : err.getMessage();
          ch.writeAndFlush(new TransferFrame.Error(reason)).addListener(ChannelFutureListener.CLOSE);
        } else {
          ch.close();
        }
      }
    });
    return t;
  }

  private static void check(String v, String field, int maxBytes) {
    Objects.requireNonNull(v, field);
    int n = v.getBytes(StandardCharsets.UTF_8).length;
    if (v.isBlank() || n > maxBytes) {
      throw new IllegalArgumentException(field + " must be non-blank and at most " + maxBytes + " UTF-8 bytes");
    }
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** One transfer (one connection). Its state is touched on the channel's event loop only. */
  private final class Transfer extends ChannelInboundHandlerAdapter implements OpenTransfer {
    final CompletableFuture<TransferResult> result;
    final CompletableFuture<OpenTransfer> opened = new CompletableFuture<>();
    private final String migrationId;
    private final String token;
    private final String peer;
    private final long connectStart = System.nanoTime();
    volatile Channel channel;
    private volatile ScheduledFuture<?> timer;
    private final CRC32C crc = new CRC32C();
    private final AtomicBoolean sendCalled = new AtomicBoolean();
    private byte[] data;
    private long sendStart;
    private boolean accepted;
    private boolean endSent;
    private int offset;
    private int seq;

    Transfer(CompletableFuture<TransferResult> result, String migrationId, String token, String peer) {
      this.result = result;
      this.migrationId = migrationId;
      this.token = token;
      this.peer = peer;
    }

    void armTimer(String what) {
      cancelTimer();
      long ms = options.transferTimeout().toMillis();
      timer = channel.eventLoop().schedule(
          () -> fail("migration " + migrationId + " to " + peer + " " + what + " within " + ms + " ms"),
          ms, TimeUnit.MILLISECONDS);
    }

    void cancelTimer() {
      ScheduledFuture<?> t = timer;
      if (t != null) t.cancel(false);
    }

    /** Used by {@link MigrationSender#send}: the data is known before the connection is accepted. */
    void sendWhenAccepted(byte[] checkpoint) {
      sendCalled.set(true);
      channel.eventLoop().execute(() -> {
        data = checkpoint;
        sendStart = connectStart;
        armTimer("did not complete");
        if (accepted) begin();
      });
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      channel = ctx.channel();
    }

    @Override
    public String migrationId() {
      return migrationId;
    }

    @Override
    public CompletableFuture<TransferResult> send(byte[] checkpoint) {
      if (!sendCalled.compareAndSet(false, true)) {
        return CompletableFuture.failedFuture(
            new TransferException("send() called twice for migration " + migrationId));
      }
      try {
        checkCheckpoint(checkpoint);
      } catch (RuntimeException e) {
        fail("invalid send: " + e.getMessage());
        return result;
      }
      long now = System.nanoTime();
      channel.eventLoop().execute(() -> {
        data = checkpoint;
        sendStart = now;
        armTimer("did not complete");
        if (accepted && !result.isDone()) begin();
      });
      return result;
    }

    @Override
    public void abort(String reason) {
      fail("aborted by sender: " + reason);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.writeAndFlush(new TransferFrame.Hello(TransferFrame.PROTOCOL_VERSION, migrationId, token))
          .addListener(this::onWrite);
      ctx.fireChannelActive();
    }

    private void onWrite(io.netty.util.concurrent.Future<? super Void> f) {
      if (!f.isSuccess()) {
        fail("connection to receiver " + peer + " failed after " + offset + " of "
            + (data == null ? 0 : data.length) + " bytes were written: " + Transfers.describe(f.cause(), options));
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (result.isDone()) return;
        if (msg instanceof TransferFrame.Accept && !accepted) {
          accepted = true;
          if (data != null) {
            begin();
          } else {
            cancelTimer(); // open and idle: the receiver's idle timeout applies until send()
            opened.complete(this);
          }
        } else if (msg instanceof TransferFrame.Done d && endSent) {
          if (d.totalBytes() != data.length) {
            fail("receiver " + peer + " confirmed " + d.totalBytes() + " bytes, " + data.length + " were sent");
          } else {
            result.complete(new TransferResult(data.length, (System.nanoTime() - sendStart) / 1e6, d.report()));
          }
          ctx.close();
        } else if (msg instanceof TransferFrame.Error e) {
          fail("receiver " + peer + " " + (accepted ? "aborted" : "refused") + " migration " + migrationId + ": " + e.reason());
          ctx.close();
        } else {
          fail("protocol error: unexpected " + msg.getClass().getSimpleName() + " from receiver " + peer);
        }
      } finally {
        if (msg instanceof TransferFrame.Data d) ReferenceCountUtil.release(d.chunk());
      }
    }

    private void begin() {
      channel.write(new TransferFrame.Begin(data.length)).addListener(this::onWrite);
      pump();
    }

    private void pump() {
      while (offset < data.length && channel.isWritable()) {
        int n = Math.min(TransferFrame.CHUNK_BYTES, data.length - offset);
        crc.update(data, offset, n);
        channel.write(new TransferFrame.Data(seq++, Unpooled.wrappedBuffer(data, offset, n))).addListener(this::onWrite);
        offset += n;
      }
      if (offset == data.length && !endSent) {
        endSent = true;
        channel.write(new TransferFrame.End(data.length, (int) crc.getValue())).addListener(this::onWrite);
      }
      channel.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (accepted && data != null && !endSent && ctx.channel().isWritable() && !result.isDone()) pump();
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!result.isDone()) {
        fail(!accepted
            ? "receiver " + peer + " closed the connection before accepting migration " + migrationId
            : data == null
                ? "receiver " + peer + " closed the open connection of migration " + migrationId + " before data was sent"
                : "receiver " + peer + " closed the connection after " + offset + " of " + data.length
                    + " bytes were written");
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      fail("migration " + migrationId + " to " + peer + " failed after " + offset + " bytes: "
          + Transfers.describe(cause, options));
      ctx.close();
    }

    void fail(String reason) {
      if (result.completeExceptionally(new TransferException(reason))) {
        log.warn("migration transfer failed: {}", reason);
      }
    }
  }
}
