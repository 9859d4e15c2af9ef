package dev.mayfly.migration.transfer;

import io.netty.channel.ChannelHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;

/**
 * The one place the transfer pipeline is assembled, for both ends:
 * TLS → length-field frame decoder → {@link TransferFrameCodec} → the end's handler.
 */
public final class TransferPipeline {
  private TransferPipeline() {}

  /** Server side (receiver): TLS with the peer's host unknown. */
  public static void server(SocketChannel ch, SslContext ssl, ChannelHandler handler) {
    add(ch, ssl.newHandler(ch.alloc()), handler);
  }

  /** Client side (sender): TLS with SNI and host name verification for {@code host}. */
  public static void client(SocketChannel ch, SslContext ssl, String host, int port, ChannelHandler handler) {
    add(ch, ssl.newHandler(ch.alloc(), host, port), handler);
  }

  private static void add(SocketChannel ch, SslHandler tls, ChannelHandler handler) {
    ch.pipeline().addLast("tls", tls);
    ch.pipeline().addLast("frames", new LengthFieldBasedFrameDecoder(TransferFrame.MAX_FRAME_BYTES, 0, 4, 0, 4));
    ch.pipeline().addLast("codec", new TransferFrameCodec());
    ch.pipeline().addLast("transfer", handler);
  }
}
