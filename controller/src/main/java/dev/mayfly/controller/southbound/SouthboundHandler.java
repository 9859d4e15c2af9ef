package dev.mayfly.controller.southbound;

import dev.mayfly.southbound.v1.EnrollResponse;
import dev.mayfly.southbound.v1.Envelope;
import dev.mayfly.southbound.v1.Register;
import dev.mayfly.southbound.v1.RegisterAck;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-connection protocol state machine (one instance per channel).
 *
 * <pre>
 *  no client cert:  Enroll ──valid token──▶ EnrollResponse, close
 *                          └─otherwise────▶ ProtocolError, close
 *  client cert:     Register(node_name == CN) ──▶ RegisterAck ──▶ REGISTERED
 *  REGISTERED:      Heartbeat | CommandResult | GuestEvent | GuestReport ──▶ listener
 * </pre>
 *
 * Any protocol violation, garbled or oversized frame, wrong protocol_version or
 * reader-idle timeout closes this connection with a WARN naming the reason; other
 * connections are unaffected.
 */
final class SouthboundHandler extends SimpleChannelInboundHandler<Envelope> {
  private static final Logger log = LoggerFactory.getLogger(SouthboundHandler.class);

  private final SouthboundServer server;
  private final AtomicLong seq = new AtomicLong();
  private String nodeName; // set once registered
  private String closeReason;

  SouthboundHandler(SouthboundServer server) {
    this.server = server;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, Envelope env) {
    if (closeReason != null) {
      return; // closing: ignore anything still buffered
    }
    if (env.getProtocolVersion() != Envelopes.PROTOCOL_VERSION) {
      refuse(ctx, "UNSUPPORTED_VERSION",
          "protocol_version " + env.getProtocolVersion() + " is not supported (expected "
              + Envelopes.PROTOCOL_VERSION + ")");
      return;
    }
    if (env.getBodyCase() == Envelope.BodyCase.ENROLL) {
      if (nodeName != null) {
        refuse(ctx, "UNEXPECTED_MESSAGE", "enroll on a registered connection");
        return;
      }
      enroll(ctx, env);
      return;
    }
    if (nodeName == null) {
      X509Certificate peer = peerCertificate(ctx.channel());
      if (peer == null) {
        refuse(ctx, "UNAUTHENTICATED",
            env.getBodyCase() + " without a client certificate (only enroll is allowed)");
        return;
      }
      if (env.getBodyCase() != Envelope.BodyCase.REGISTER) {
        refuse(ctx, "REGISTER_REQUIRED", "first message must be register, got " + env.getBodyCase());
        return;
      }
      register(ctx, env.getRegister(), peer);
      return;
    }
    SouthboundListener l = server.listener();
    switch (env.getBodyCase()) {
      case HEARTBEAT -> safely(() -> l.heartbeat(nodeName, env.getHeartbeat()));
      case RESULT -> safely(() -> l.commandResult(nodeName, env.getResult()));
      case GUEST_EVENT -> safely(() -> l.guestEvent(nodeName, env.getGuestEvent()));
      case GUEST_REPORT -> safely(() -> l.guestReport(nodeName, env.getGuestReport()));
      case ERROR -> log.warn("agent {} reported a protocol error: {} {}", nodeName,
          env.getError().getCode(), env.getError().getMessage());
      default -> refuse(ctx, "UNEXPECTED_MESSAGE", env.getBodyCase() + " is not valid from an agent");
    }
  }

  private void enroll(ChannelHandlerContext ctx, Envelope env) {
    var e = env.getEnroll();
    if (!server.bootstrapToken().matches(e.getBootstrapToken())) {
      refuse(ctx, "ENROLL_REJECTED", "enrollment of '" + e.getNodeName() + "': wrong bootstrap token");
      return;
    }
    X509Certificate cert;
    try {
      cert = server.ca().signClient(e.getNodeName(), e.getCsrDer().toByteArray());
    } catch (CertificateAuthority.EnrollmentException ex) {
      refuse(ctx, "ENROLL_REJECTED", "enrollment of '" + e.getNodeName() + "': " + ex.getMessage());
      return;
    }
    try {
      EnrollResponse r = EnrollResponse.newBuilder()
          .setCertificateDer(com.google.protobuf.ByteString.copyFrom(cert.getEncoded()))
          .setCaCertificateDer(
              com.google.protobuf.ByteString.copyFrom(server.ca().caCertificate().getEncoded()))
          .build();
      closeReason = "enrolled";
      log.info("enrolled node '{}' from {} (certificate serial {})", e.getNodeName(),
          remote(ctx), cert.getSerialNumber().toString(16));
      ctx.writeAndFlush(Envelopes.envelope().setSeq(seq.incrementAndGet()).setEnrollResponse(r).build())
          .addListener(ChannelFutureListener.CLOSE);
    } catch (CertificateEncodingException ex) {
      refuse(ctx, "INTERNAL", "encoding certificate: " + ex.getMessage());
    }
  }

  private void register(ChannelHandlerContext ctx, Register reg, X509Certificate peer) {
    String cn = CertificateAuthority.commonName(peer);
    if (cn == null || !CertificateAuthority.NODE_NAME.matcher(cn).matches()) {
      refuse(ctx, "UNAUTHENTICATED", "client certificate CN '" + cn + "' is not a node name");
      return;
    }
    if (!cn.equals(reg.getNodeName())) {
      refuse(ctx, "NODE_NAME_MISMATCH",
          "register node_name '" + reg.getNodeName() + "' does not match certificate CN '" + cn + "'");
      return;
    }
    nodeName = cn;
    server.bind(cn, ctx.channel());
    ctx.writeAndFlush(Envelopes.envelope().setSeq(seq.incrementAndGet())
        .setRegisterAck(RegisterAck.newBuilder()
            .setNodeId(cn)
            .setHeartbeatIntervalMs(server.settings().heartbeatIntervalMs()))
        .build());
    log.info("agent '{}' registered from {} (driver {}, {} cpus, {} slots)", cn, remote(ctx),
        reg.getDriver().isEmpty() ? "-" : reg.getDriver(), reg.getCapacity().getCpus(),
        reg.getCapacity().getGuestSlots());
    safely(() -> server.listener().agentRegistered(cn, reg));
  }

  /** Sends a ProtocolError, logs the reason and closes this connection. */
  private void refuse(ChannelHandlerContext ctx, String code, String message) {
    if (closeReason != null) {
      return;
    }
    closeReason = message;
    log.warn("closing southbound connection {}{}: {} ({})", remote(ctx),
        nodeName == null ? "" : " of '" + nodeName + "'", message, code);
    if (ctx.channel().isActive()) {
      ctx.writeAndFlush(Envelopes.error(code, message)).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      if (closeReason == null) {
        closeReason = nodeName == null ? "idle before registering" : "missed heartbeats";
        log.warn("closing southbound connection {}{}: {}", remote(ctx),
            nodeName == null ? "" : " of '" + nodeName + "'", closeReason);
      }
      ctx.close();
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable root = cause instanceof DecoderException && cause.getCause() != null
        ? cause.getCause() : cause;
    String code;
    String what;
    if (cause instanceof TooLongFrameException || root instanceof TooLongFrameException) {
      code = "FRAME_TOO_LARGE";
      what = "oversized frame: " + root.getMessage();
    } else if (root instanceof SSLException) {
      code = null;
      what = "TLS: " + root.getMessage();
    } else if (cause instanceof CorruptedFrameException || root instanceof CorruptedFrameException) {
      code = "GARBLED_FRAME";
      what = "corrupted frame: " + root.getMessage();
    } else if (cause instanceof DecoderException) {
      code = "GARBLED_FRAME";
      what = "garbled frame: " + root.getMessage();
    } else if (root instanceof IOException) {
      // peer reset etc.: not a protocol problem
      if (closeReason == null) {
        closeReason = "connection lost: " + root.getMessage();
      }
      log.info("southbound connection {} lost: {}", remote(ctx), root.getMessage());
      ctx.close();
      return;
    } else {
      code = "INTERNAL";
      what = "internal error: " + root;
      log.error("southbound handler failure on {}", remote(ctx), cause);
    }
    if (code == null || !ctx.channel().isActive()) {
      if (closeReason == null) {
        closeReason = what;
        log.warn("closing southbound connection {}: {}", remote(ctx), what);
      }
      ctx.close();
    } else {
      refuse(ctx, code, what);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (nodeName != null && server.unbind(nodeName, ctx.channel())) {
      String reason = closeReason != null ? closeReason : "connection closed";
      log.info("agent '{}' disconnected: {}", nodeName, reason);
      String n = nodeName;
      safely(() -> server.listener().agentDisconnected(n, reason));
    }
    super.channelInactive(ctx);
  }

  private static void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.error("southbound listener failed", e);
    }
  }

  private static SocketAddress remote(ChannelHandlerContext ctx) {
    return ctx.channel().remoteAddress();
  }

  /** The verified client certificate of this connection, or null without TLS or cert. */
  static X509Certificate peerCertificate(Channel ch) {
    SslHandler ssl = ch.pipeline().get(SslHandler.class);
    if (ssl == null) {
      return null;
    }
    try {
      Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }
}
