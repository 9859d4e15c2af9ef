package dev.mayfly.controller.southbound;

import dev.mayfly.southbound.v1.Envelope;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32FrameDecoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The whole southbound pipeline, assembled in one place:
 * TLS → varint32 frame decoder (max frame) → protobuf decoder (Envelope) →
 * varint32 length prepender → protobuf encoder → reader-idle handler → {@link SouthboundHandler}.
 *
 * <p>With {@code sslContext == null} (EmbeddedChannel tests) the TLS stage is left out and
 * every connection counts as one without a client certificate.
 */
public final class SouthboundChannelInitializer extends ChannelInitializer<Channel> {
  private final SslContext sslContext;
  private final SouthboundServer server;

  public SouthboundChannelInitializer(SslContext sslContext, SouthboundServer server) {
    this.sslContext = sslContext;
    this.server = server;
  }

  @Override
  protected void initChannel(Channel ch) {
    configure(ch.pipeline(), sslContext, server);
  }

  /** Adds the southbound handlers to {@code p} (usable on an EmbeddedChannel). */
  public static void configure(ChannelPipeline p, SslContext sslContext, SouthboundServer server) {
    SouthboundSettings s = server.settings();
    if (sslContext != null) {
      p.addLast("tls", sslContext.newHandler(p.channel().alloc()));
    }
    p.addLast("frame-decoder", new ProtobufVarint32FrameDecoder(s.maxFrameBytes()));
    p.addLast("protobuf-decoder", new ProtobufDecoder(Envelope.getDefaultInstance()));
    p.addLast("frame-encoder", new ProtobufVarint32LengthFieldPrepender());
    p.addLast("protobuf-encoder", new ProtobufEncoder());
    p.addLast("idle", new IdleStateHandler(s.idleTimeoutMs(), 0, 0, TimeUnit.MILLISECONDS));
    p.addLast("southbound", new SouthboundHandler(server));
  }
}
