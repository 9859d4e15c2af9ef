package dev.mayfly.migration.transfer;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS contexts for the migration stream: mutual TLS 1.3 with the JDK provider. Both agents hold
 * a certificate issued by the controller's CA (usable for client and server auth) and trust that
 * CA; the receiver requires a client certificate, the sender verifies the receiver's host name
 * (SAN) against the address it dials.
 */
public final class MigrationTls {
  private static final String[] PROTOCOLS = {"TLSv1.3"};

  private MigrationTls() {}

  /** Receiver context from key and trust managers. */
  public static SslContext server(KeyManagerFactory keys, TrustManagerFactory trust) throws SSLException {
    return SslContextBuilder.forServer(keys).trustManager(trust).clientAuth(ClientAuth.REQUIRE)
        .protocols(PROTOCOLS).sslProvider(SslProvider.JDK).build();
  }

  /** Sender context from key and trust managers. */
  public static SslContext client(KeyManagerFactory keys, TrustManagerFactory trust) throws SSLException {
    return SslContextBuilder.forClient().keyManager(keys).trustManager(trust)
        .endpointIdentificationAlgorithm("HTTPS")
        .protocols(PROTOCOLS).sslProvider(SslProvider.JDK).build();
  }

  /** Receiver context from PEM files: certificate chain, PKCS#8 private key, CA certificate(s). */
  public static SslContext server(File certChainPem, File keyPem, File caPem) throws SSLException {
    return SslContextBuilder.forServer(certChainPem, keyPem).trustManager(caPem).clientAuth(ClientAuth.REQUIRE)
        .protocols(PROTOCOLS).sslProvider(SslProvider.JDK).build();
  }

  /** Sender context from PEM files: certificate chain, PKCS#8 private key, CA certificate(s). */
  public static SslContext client(File certChainPem, File keyPem, File caPem) throws SSLException {
    return SslContextBuilder.forClient().keyManager(certChainPem, keyPem).trustManager(caPem)
        .endpointIdentificationAlgorithm("HTTPS")
        .protocols(PROTOCOLS).sslProvider(SslProvider.JDK).build();
  }
}
