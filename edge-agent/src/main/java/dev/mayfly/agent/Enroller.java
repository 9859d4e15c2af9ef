package dev.mayfly.agent;

import com.google.protobuf.ByteString;
import dev.mayfly.southbound.v1.Enroll;
import dev.mayfly.southbound.v1.EnrollResponse;
import dev.mayfly.southbound.v1.Envelope;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enrollment: a TLS connection without client certificate that verifies the controller
 * against the configured CA, sends Enroll{token, node name, CSR} and stores the signed
 * certificate it gets back.
 */
public final class Enroller {
  private static final Logger log = LoggerFactory.getLogger(Enroller.class);

  /** The controller refused the enrollment (wrong token, bad node name, ...). */
  public static final class RefusedException extends IOException {
    private final String code;

    public RefusedException(String code, String message) {
      super(code + ": " + message);
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private Enroller() {}

  /** Enrolls {@code cfg.nodeName()} and stores key + certificate + CA in the state dir. */
  public static void enroll(AgentConfig cfg, AgentCredentials creds, EventLoopGroup group)
      throws IOException {
    String token = cfg.resolveBootstrapToken();
    if (token == null) {
      throw new IOException("not enrolled (" + creds.certFile() + " missing) and no "
          + "--bootstrap-token / --bootstrap-token-file given");
    }
    Path caFile = cfg.caCert() != null ? cfg.caCert() : creds.caFile();
    if (!Files.isReadable(caFile)) {
      throw new IOException("--ca-cert: cannot read " + caFile
          + " (needed to verify the controller; it is ${MAYFLY_HOME}/pki/ca.pem on the controller)");
    }
    X509Certificate ca = AgentCredentials.readCertificate(caFile);
    byte[] csr = creds.newKeyAndCsr(cfg.nodeName());
    SslContext ssl = SslContextBuilder.forClient()
        .trustManager(ca)
        .endpointIdentificationAlgorithm("HTTPS")
        .build();
    CompletableFuture<EnrollResponse> answer = new CompletableFuture<>();
    Bootstrap b = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
        .handler(new AgentChannelInitializer(ssl, cfg.controllerHost(), cfg.controllerPort(),
            () -> new SimpleChannelInboundHandler<Envelope>() {
              @Override
              public void channelActive(ChannelHandlerContext ctx) {
                ctx.writeAndFlush(Envelope.newBuilder().setProtocolVersion(1).setSeq(1)
                    .setEnroll(Enroll.newBuilder()
                        .setBootstrapToken(token)
                        .setNodeName(cfg.nodeName())
                        .setCsrDer(ByteString.copyFrom(csr)))
                    .build());
              }

              @Override
              protected void channelRead0(ChannelHandlerContext ctx, Envelope env) {
                switch (env.getBodyCase()) {
                  case ENROLL_RESPONSE -> answer.complete(env.getEnrollResponse());
                  case ERROR -> answer.completeExceptionally(new RefusedException(
                      env.getError().getCode(), env.getError().getMessage()));
                  default -> answer.completeExceptionally(
                      new IOException("unexpected " + env.getBodyCase() + " during enrollment"));
                }
                ctx.close();
              }

              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                answer.completeExceptionally(new IOException(Agent.describe(cause), cause));
                ctx.close();
              }

              @Override
              public void channelInactive(ChannelHandlerContext ctx) {
                answer.completeExceptionally(
                    new IOException("controller closed the connection during enrollment"));
              }
            }));
    Channel ch = null;
    try {
      var connect = b.connect(cfg.controllerHost(), cfg.controllerPort());
      if (!connect.awaitUninterruptibly(6, TimeUnit.SECONDS) || !connect.isSuccess()) {
        throw new IOException("cannot connect to " + cfg.controllerHost() + ":"
            + cfg.controllerPort() + ": " + Agent.describe(connect.cause()));
      }
      ch = connect.channel();
      EnrollResponse r = answer.get(15, TimeUnit.SECONDS);
      creds.store(r.getCertificateDer().toByteArray(), r.getCaCertificateDer().toByteArray());
      log.info("enrolled as '{}' (certificate {})", cfg.nodeName(), creds.certFile());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException(e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("no enrollment response within 15 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while enrolling");
    } finally {
      if (ch != null) {
        ch.close();
      }
    }
  }
}
