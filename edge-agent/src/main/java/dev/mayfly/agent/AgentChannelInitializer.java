package dev.mayfly.agent;

import dev.mayfly.southbound.v1.Envelope;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32FrameDecoder;
import io.netty.handler.codec.protobuf.ProtobufVarint32LengthFieldPrepender;
import io.netty.handler.ssl.SslContext;
import java.util.function.Supplier;

/**
 * The agent's southbound pipeline, assembled in one place: TLS (server verified against the
 * controller CA, host name checked) → varint32 framing (max 4 MiB) → protobuf Envelope codec
 * → the connection handler.
 */
public final class AgentChannelInitializer extends ChannelInitializer<Channel> {
  public static final int MAX_FRAME = 4 << 20;
  private final SslContext ssl;
  private final String host;
  private final int port;
  private final Supplier<ChannelHandler> handler;

  public AgentChannelInitializer(SslContext ssl, String host, int port, Supplier<ChannelHandler> handler) {
    this.ssl = ssl;
    this.host = host;
    this.port = port;
    this.handler = handler;
  }

  @Override
  protected void initChannel(Channel ch) {
    ChannelPipeline p = ch.pipeline();
    p.addLast("tls", ssl.newHandler(ch.alloc(), host, port));
    p.addLast("frame-decoder", new ProtobufVarint32FrameDecoder(MAX_FRAME));
    p.addLast("protobuf-decoder", new ProtobufDecoder(Envelope.getDefaultInstance()));
    p.addLast("frame-encoder", new ProtobufVarint32LengthFieldPrepender());
    p.addLast("protobuf-encoder", new ProtobufEncoder());
    p.addLast("agent", handler.get());
  }
}
