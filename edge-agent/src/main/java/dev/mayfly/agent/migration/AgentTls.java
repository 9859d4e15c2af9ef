package dev.mayfly.agent.migration;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * TLS contexts for agent-to-agent transfers made from the agent's enrolment files
 * ({@code agent.pem}, {@code agent.key}, {@code ca.pem}). Agents hold only client certificates
 * from the controller CA (CN = node name, client-auth usage, no SAN), so the stock
 * {@code MigrationTls.client} (server-auth usage + host-name check) cannot accept them. Here the
 * sender checks instead that the receiver's certificate chains to the controller CA and that its
 * CN is the target node the controller named ({@link NodeTrustManager}); the receiver requires a
 * client certificate from the same CA. TLS 1.3 only, JDK provider, as in {@code MigrationTls}.
 */
public final class AgentTls {
  private static final String[] PROTOCOLS = {"TLSv1.3"};

  private AgentTls() {}

  public static SslContext server(Path cert, Path key, Path ca) throws IOException {
    return SslContextBuilder.forServer(cert.toFile(), key.toFile()).trustManager(ca.toFile())
        .clientAuth(ClientAuth.REQUIRE).protocols(PROTOCOLS).sslProvider(SslProvider.JDK).build();
  }

  /** A sender context that accepts only the agent of {@code targetNode}. */
  public static SslContext client(Path cert, Path key, Path ca, String targetNode) throws IOException {
    return SslContextBuilder.forClient().keyManager(cert.toFile(), key.toFile())
        .trustManager(new NodeTrustManager(readCa(ca), targetNode))
        .protocols(PROTOCOLS).sslProvider(SslProvider.JDK).build();
  }

  static X509Certificate readCa(Path ca) throws IOException {
    try (InputStream in = Files.newInputStream(ca)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (CertificateException e) {
      throw new IOException(ca + ": not a PEM certificate: " + e.getMessage(), e);
    }
  }

  /** The CN of a subject, or null. */
  static String commonName(X500Principal p) {
    try {
      for (Rdn r : new LdapName(p.getName()).getRdns()) {
        if (r.getType().equalsIgnoreCase("CN")) {
          return String.valueOf(r.getValue());
        }
      }
    } catch (javax.naming.InvalidNameException e) {
      return null;
    }
    return null;
  }

  /** PKIX path to the controller CA (no usage or host-name rule) + CN equal to the node name. */
  static final class NodeTrustManager extends X509ExtendedTrustManager {
    private final X509Certificate ca;
    private final String node;

    NodeTrustManager(X509Certificate ca, String node) {
      this.ca = ca;
      this.node = node;
    }

    private void check(X509Certificate[] chain) throws CertificateException {
      if (chain == null || chain.length == 0) {
        throw new CertificateException("the receiver sent no certificate");
      }
      try {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        X509Certificate[] path = Arrays.stream(chain).filter(c -> !c.equals(ca)).toArray(X509Certificate[]::new);
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        params.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(Arrays.asList(path)), params);
      } catch (GeneralSecurityException e) {
        throw new CertificateException("the receiver's certificate is not from the controller CA: "
            + e.getMessage(), e);
      }
      String cn = commonName(chain[0].getSubjectX500Principal());
      if (!node.equals(cn)) {
        throw new CertificateException("the receiver is '" + cn + "', expected the agent of node '" + node + "'");
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e)
        throws CertificateException {
      check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s) throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e)
        throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[] {ca};
    }
  }
}
