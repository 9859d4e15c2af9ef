package dev.mayfly.migration.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * A hand-driven end of the transfer protocol for tests: speaks raw frames over the real TLS
 * pipeline, so tests can misbehave (corrupt chunks, hang up mid-stream) in ways the real sender and
 * receiver never do.
 */
final class RawPeer implements AutoCloseable {
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final BlockingQueue<TransferFrame> frames = new LinkedBlockingQueue<>();
  private Channel channel;

  /** A client connected to 127.0.0.1:port. */
  static RawPeer client(SslContext ssl, int port) throws InterruptedException {
    RawPeer p = new RawPeer();
    p.channel = new Bootstrap().group(p.group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            TransferPipeline.client(ch, ssl, "127.0.0.1", port, p.new Collector(null));
          }
        })
        .connect("127.0.0.1", port).sync().channel();
    return p;
  }

  /**
   * A server on 127.0.0.1 that records frames and lets {@code onFrame} react (it gets the
   * connection's channel and each frame).
   */
  static RawPeer server(SslContext ssl, BiConsumer<Channel, TransferFrame> onFrame) throws InterruptedException {
    RawPeer p = new RawPeer();
    p.channel = new ServerBootstrap().group(p.group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            TransferPipeline.server(ch, ssl, p.new Collector(onFrame));
          }
        })
        .bind("127.0.0.1", 0).sync().channel();
    return p;
  }

  int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  void send(TransferFrame f) throws InterruptedException {
    channel.writeAndFlush(f).sync();
  }

  /** The next frame received (waits up to 20 s, then fails the test). */
  TransferFrame next() throws InterruptedException {
    TransferFrame f = frames.poll(20, TimeUnit.SECONDS);
    assertThat(f).as("a frame within 20 s").isNotNull();
    return f;
  }

  /** Closes the connection abruptly (a killed peer). */
  void hangUp() throws InterruptedException {
    channel.close().sync();
  }

  /** Waits (up to 20 s) until the other side closed the connection. */
  void awaitClosed() throws InterruptedException {
    assertThat(channel.closeFuture().await(20, TimeUnit.SECONDS)).as("closed within 20 s").isTrue();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Collector extends ChannelInboundHandlerAdapter {
    private final BiConsumer<Channel, TransferFrame> onFrame;

    Collector(BiConsumer<Channel, TransferFrame> onFrame) {
      this.onFrame = onFrame;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      TransferFrame f = (TransferFrame) msg;
      if (f instanceof TransferFrame.Data d) {
        ReferenceCountUtil.release(d.chunk());
        f = new TransferFrame.Data(d.seq(), null);
      }
      frames.add(f);
      if (onFrame != null) onFrame.accept(ctx.channel(), f);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
