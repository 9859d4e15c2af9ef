package dev.mayfly.agent;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * The agent's identity in its state directory: {@code agent.key} (ECDSA P-256, PKCS#8,
 * 0600), {@code agent.pem} (client certificate from enrollment, 0600) and {@code ca.pem}
 * (the controller CA that signed it; trust anchor for later connections).
 */
public final class AgentCredentials {
  private final Path dir;

  public AgentCredentials(Path stateDir) {
    this.dir = stateDir;
  }

  public Path keyFile() {
    return dir.resolve("agent.key");
  }

  public Path certFile() {
    return dir.resolve("agent.pem");
  }

  public Path caFile() {
    return dir.resolve("ca.pem");
  }

  /** True when a key, a certificate that is currently valid, and the CA are present. */
  public boolean enrolled() {
    return enrolled(null);
  }

  /**
   * Like {@link #enrolled()}, and the certificate's subject names {@code nodeName} (when
   * not null): an agent whose name changed enrolls again.
   */
  public boolean enrolled(String nodeName) {
    if (!Files.exists(keyFile()) || !Files.exists(certFile()) || !Files.exists(caFile())) {
      return false;
    }
    try {
      X509Certificate c = certificate();
      c.checkValidity(new Date());
      if (nodeName != null) {
        String dn = c.getSubjectX500Principal().getName();
        if (!java.util.Arrays.asList(dn.split(",")).contains("CN=" + nodeName)) {
          return false;
        }
      }
      return true;
    } catch (IOException | GeneralSecurityException e) {
      return false;
    }
  }

  /**
   * Sets the current certificate aside ({@code agent.pem.rejected}) so that the next
   * connection attempt enrolls again.
   */
  public void discardCertificate() throws IOException {
    if (Files.exists(certFile())) {
      Files.move(certFile(), dir.resolve("agent.pem.rejected"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  public PrivateKey privateKey() throws IOException {
    return readKey(keyFile());
  }

  public X509Certificate certificate() throws IOException {
    return readCertificate(certFile());
  }

  public X509Certificate ca() throws IOException {
    return readCertificate(caFile());
  }

  /** A fresh key pair (stored 0600, replacing any old one) and a CSR for {@code nodeName}. */
  public byte[] newKeyAndCsr(String nodeName) throws IOException {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair kp = g.generateKeyPair();
      var subject = new X500NameBuilder(BCStyle.INSTANCE)
          .addRDN(BCStyle.O, "mayfly-agent").addRDN(BCStyle.CN, nodeName).build();
      var csr = new JcaPKCS10CertificationRequestBuilder(subject, kp.getPublic())
          .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()));
      Files.createDirectories(dir);
      setMode(dir, "rwx------");
      write(keyFile(), pem(new PemObject("PRIVATE KEY", kp.getPrivate().getEncoded())));
      return csr.getEncoded();
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("generating agent key: " + e.getMessage(), e);
    }
  }

  /** Stores the enrollment result. */
  public void store(byte[] certDer, byte[] caDer) throws IOException {
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      X509Certificate cert = (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(certDer));
      X509Certificate ca = (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(caDer));
      cert.verify(ca.getPublicKey());
      write(caFile(), pem(ca));
      write(certFile(), pem(cert));
    } catch (GeneralSecurityException e) {
      throw new IOException("enrollment response: certificate does not verify: " + e.getMessage(), e);
    }
  }

  public static X509Certificate readCertificate(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser p = new PEMParser(r)) {
      Object o = p.readObject();
      if (!(o instanceof X509CertificateHolder h)) {
        throw new IOException(file + ": not a PEM certificate");
      }
      return new JcaX509CertificateConverter().getCertificate(h);
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  static PrivateKey readKey(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser p = new PEMParser(r)) {
      Object o = p.readObject();
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      if (o instanceof PrivateKeyInfo info) {
        return conv.getPrivateKey(info);
      }
      if (o instanceof PEMKeyPair kp) {
        return conv.getKeyPair(kp).getPrivate();
      }
      throw new IOException(file + ": not a PEM private key");
    }
  }

  private static String pem(Object o) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
    }
    return sw.toString();
  }

  private static void write(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp);
    setMode(tmp, "rw-------");
    Files.writeString(tmp, content, StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void setMode(Path p, String perms) throws IOException {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    } catch (UnsupportedOperationException e) {
      // not POSIX
    }
  }
}
