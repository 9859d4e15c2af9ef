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
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source agent's end of a migration stream: dials the target's {@link MigrationReceiver}
 * over mutual TLS and streams one checkpoint in 256 KiB chunks, following the channel's
 * writability (at most a few chunks are buffered at a time), then waits for the receiver's
 * verdict. One instance (one event loop thread) serves any number of concurrent sends.
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
   * ERROR frame and discards what it has.
   */
  public CompletableFuture<TransferResult> send(String host, int port, String migrationId, String token, byte[] checkpoint) {
    CompletableFuture<TransferResult> result = new CompletableFuture<>();
    try {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(checkpoint, "checkpoint");
      check(migrationId, "migrationId", TransferFrame.MAX_ID_BYTES);
      check(token, "token", TransferFrame.MAX_TOKEN_BYTES);
      if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be 1..65535, got " + port);
      if (checkpoint.length < CheckpointFormat.MIN_BYTES || checkpoint.length > options.maxBytes()) {
        throw new IllegalArgumentException("checkpoint is " + checkpoint.length + " bytes; sendable sizes are "
            + CheckpointFormat.MIN_BYTES + ".." + options.maxBytes());
      }
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return result;
    }
    long t0 = System.nanoTime();
    String peer = host + ":" + port;
    SenderHandler handler = new SenderHandler(result, migrationId, token, checkpoint, peer, t0);
    ChannelFuture connect = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()))
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            TransferPipeline.client(ch, ssl, host, port, handler);
          }
        })
        .connect(host, port);
    Channel ch = connect.channel();
    connect.addListener((ChannelFutureListener) f -> {
      if (!f.isSuccess()) {
        result.completeExceptionally(new TransferException("migration " + migrationId + ": cannot connect to "
            + peer + ": " + Transfers.describe(f.cause(), options), f.cause()));
      }
    });
    ScheduledFuture<?> timer = ch.eventLoop().schedule(
        () -> result.completeExceptionally(new TransferException("migration " + migrationId + " to " + peer
            + " did not complete within " + options.transferTimeout().toMillis() + " ms")),
        options.transferTimeout().toMillis(), TimeUnit.MILLISECONDS);
    result.whenComplete((r, err) -> {
      timer.cancel(false);
      if (err != null) {
        if (ch.isActive()) {
          String reason = err instanceof CancellationException ? "aborted by sender" : err.getMessage();
          ch.writeAndFlush(new TransferFrame.Error(reason)).addListener(ChannelFutureListener.CLOSE);
        } else {
          ch.close();
        }
      }
    });
    return result;
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

  /** One transfer. Runs on its channel's event loop. */
  private final class SenderHandler extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<TransferResult> result;
    private final String migrationId;
    private final String token;
    private final byte[] data;
    private final String peer;
    private final long t0;
    private final CRC32C crc = new CRC32C();
    private boolean accepted;
    private boolean endSent;
    private int offset;
    private int seq;

    SenderHandler(CompletableFuture<TransferResult> result, String migrationId, String token, byte[] data,
        String peer, long t0) {
      this.result = result;
      this.migrationId = migrationId;
      this.token = token;
      this.data = data;
      this.peer = peer;
      this.t0 = t0;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.writeAndFlush(new TransferFrame.Hello(TransferFrame.PROTOCOL_VERSION, migrationId, token, data.length))
          .addListener(this::onWrite);
      ctx.fireChannelActive();
    }

    private void onWrite(io.netty.util.concurrent.Future<? super Void> f) {
      if (!f.isSuccess()) {
        fail("connection to receiver " + peer + " failed after " + offset + " of " + data.length
            + " bytes were written: " + Transfers.describe(f.cause(), options));
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (result.isDone()) return;
        if (msg instanceof TransferFrame.Accept && !accepted) {
          accepted = true;
          pump(ctx);
        } else if (msg instanceof TransferFrame.Done d && endSent) {
          if (d.totalBytes() != data.length) {
            fail("receiver " + peer + " confirmed " + d.totalBytes() + " bytes, " + data.length + " were sent");
          } else {
            result.complete(new TransferResult(data.length, (System.nanoTime() - t0) / 1e6));
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

    private void pump(ChannelHandlerContext ctx) {
      while (offset < data.length && ctx.channel().isWritable()) {
        int n = Math.min(TransferFrame.CHUNK_BYTES, data.length - offset);
        crc.update(data, offset, n);
        ctx.write(new TransferFrame.Data(seq++, Unpooled.wrappedBuffer(data, offset, n))).addListener(this::onWrite);
        offset += n;
      }
      if (offset == data.length && !endSent) {
        endSent = true;
        ctx.write(new TransferFrame.End(data.length, (int) crc.getValue())).addListener(this::onWrite);
      }
      ctx.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (accepted && !endSent && ctx.channel().isWritable() && !result.isDone()) pump(ctx);
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!result.isDone()) {
        fail(accepted
            ? "receiver " + peer + " closed the connection after " + offset + " of " + data.length + " bytes were written"
            : "receiver " + peer + " closed the connection before accepting migration " + migrationId);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      fail("migration " + migrationId + " to " + peer + " failed after " + offset + " bytes: "
          + Transfers.describe(cause, options));
      ctx.close();
    }

    private void fail(String reason) {
      if (result.completeExceptionally(new TransferException(reason))) {
        log.warn("migration transfer failed: {}", reason);
      }
    }
  }
}
