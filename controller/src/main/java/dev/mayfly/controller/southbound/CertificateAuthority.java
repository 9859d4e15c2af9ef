package dev.mayfly.controller.southbound;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's own certificate authority (ECDSA P-256), kept in {@code pki/}:
 * {@code ca.key} + {@code ca.pem} (10 years), {@code server.key} + {@code server.pem}
 * (2 years, SAN localhost, 127.0.0.1, the host name and configured extras). Created on
 * first start, reused afterwards; the server certificate is re-issued when it expires
 * within 30 days or its SAN set no longer matches the configuration. Keys are mode 0600.
 */
public final class CertificateAuthority {
  private static final Logger log = LoggerFactory.getLogger(CertificateAuthority.class);
  /** Node names: DNS-label-like, the certificate CN and the node id. */
  public static final Pattern NODE_NAME = Pattern.compile("[a-z0-9-]{1,63}");
  private static final String SIG = "SHA256withECDSA";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate caCert;
  private final PrivateKey caKey;
  private final X509Certificate serverCert;
  private final PrivateKey serverKey;
  private final Duration clientValidity;

  private CertificateAuthority(
      X509Certificate caCert, PrivateKey caKey, X509Certificate serverCert, PrivateKey serverKey) {
    this.caCert = caCert;
    this.caKey = caKey;
    this.serverCert = serverCert;
    this.serverKey = serverKey;
    this.clientValidity = Duration.ofDays(365);
  }

  /** Loads the CA from {@code pkiDir}, creating whatever is missing. */
  public static CertificateAuthority loadOrCreate(Path pkiDir, List<String> extraSans)
      throws IOException {
    try {
      Files.createDirectories(pkiDir);
      Pem.setMode(pkiDir, "rwx------");
      Path caKeyFile = pkiDir.resolve("ca.key");
      Path caCertFile = pkiDir.resolve("ca.pem");
      X509Certificate caCert;
      PrivateKey caKey;
      if (Files.exists(caKeyFile) && Files.exists(caCertFile)) {
        caKey = Pem.readPrivateKey(caKeyFile);
        caCert = Pem.readCertificate(caCertFile);
      } else {
        KeyPair kp = newKeyPair();
        caKey = kp.getPrivate();
        caCert = selfSignedCa(kp);
        Pem.writePrivateKey(caKeyFile, caKey);
        Pem.writeCertificate(caCertFile, caCert);
        log.info("created controller CA in {}", pkiDir);
      }
      Set<String> sans = serverSans(extraSans);
      Path srvKeyFile = pkiDir.resolve("server.key");
      Path srvCertFile = pkiDir.resolve("server.pem");
      X509Certificate srvCert = null;
      PrivateKey srvKey = null;
      if (Files.exists(srvKeyFile) && Files.exists(srvCertFile)) {
        srvKey = Pem.readPrivateKey(srvKeyFile);
        srvCert = Pem.readCertificate(srvCertFile);
        if (!reusable(srvCert, caCert, sans)) {
          srvCert = null;
        }
      }
      if (srvCert == null) {
        KeyPair kp = newKeyPair();
        srvKey = kp.getPrivate();
        srvCert = issueServer(caCert, caKey, kp.getPublic(), sans);
        Pem.writePrivateKey(srvKeyFile, srvKey);
        Pem.writeCertificate(srvCertFile, srvCert);
        log.info("issued southbound server certificate for {}", sans);
      }
      return new CertificateAuthority(caCert, caKey, srvCert, srvKey);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("PKI in " + pkiDir + ": " + e.getMessage(), e);
    }
  }

  public X509Certificate caCertificate() {
    return caCert;
  }

  public X509Certificate serverCertificate() {
    return serverCert;
  }

  public PrivateKey serverKey() {
    return serverKey;
  }

  /** Thrown when a CSR or node name is not acceptable; the message names the field. */
  public static final class EnrollmentException extends Exception {
    public EnrollmentException(String message) {
      super(message);
    }
  }

  /**
   * Signs a PKCS#10 request for {@code nodeName}: the certificate gets CN = nodeName and
   * the CSR's public key (whatever subject the CSR asked for), client-auth usage only.
   */
  public X509Certificate signClient(String nodeName, byte[] csrDer) throws EnrollmentException {
    if (nodeName == null || !NODE_NAME.matcher(nodeName).matches()) {
      throw new EnrollmentException("node_name '" + nodeName + "' does not match [a-z0-9-]{1,63}");
    }
    JcaPKCS10CertificationRequest csr;
    PublicKey pub;
    try {
      csr = new JcaPKCS10CertificationRequest(csrDer);
      pub = csr.getPublicKey();
      if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(pub))) {
        throw new EnrollmentException("csr_der: signature does not verify");
      }
    } catch (IOException | IllegalArgumentException | ClassCastException e) {
      throw new EnrollmentException("csr_der: not a PKCS#10 request (" + e.getMessage() + ")");
    } catch (GeneralSecurityException | OperatorCreationException | PKCSException e) {
      throw new EnrollmentException("csr_der: " + e.getMessage());
    }
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
          caCert, serial(), Date.from(now.minus(Duration.ofMinutes(5))),
          Date.from(now.plus(clientValidity)), name(nodeName, "mayfly-agent"), pub);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pub));
      b.addExtension(Extension.authorityKeyIdentifier, false,
          ext.createAuthorityKeyIdentifier(caCert));
      return sign(b, caKey);
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("signing client certificate: " + e.getMessage(), e);
    }
  }

  /** The CN of a certificate subject, or null. */
  public static String commonName(X509Certificate cert) {
    X500Name n = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    var rdns = n.getRDNs(BCStyle.CN);
    if (rdns.length == 0 || rdns[0].getFirst() == null) {
      return null;
    }
    return rdns[0].getFirst().getValue().toString();
  }

  // ------------------------------------------------------------------------------------

  static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static X509Certificate selfSignedCa(KeyPair kp)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    Instant now = Instant.now();
    X500Name subject = name("Mayfly CA", "mayfly");
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
        subject, serial(), Date.from(now.minus(Duration.ofMinutes(5))),
        Date.from(now.plus(Duration.ofDays(3650))), subject, kp.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
    b.addExtension(Extension.keyUsage, true,
        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
    b.addExtension(Extension.subjectKeyIdentifier, false,
        ext.createSubjectKeyIdentifier(kp.getPublic()));
    return sign(b, kp.getPrivate());
  }

  private static X509Certificate issueServer(
      X509Certificate caCert, PrivateKey caKey, PublicKey pub, Set<String> sans)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    Instant now = Instant.now();
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
        caCert, serial(), Date.from(now.minus(Duration.ofMinutes(5))),
        Date.from(now.plus(Duration.ofDays(730))), name("mayfly-controller", "mayfly"), pub);
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(Extension.extendedKeyUsage, false,
        new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    List<GeneralName> names = new ArrayList<>();
    for (String s : sans) {
      names.add(isIpLiteral(s)
          ? new GeneralName(GeneralName.iPAddress, s)
          : new GeneralName(GeneralName.dNSName, s));
    }
    b.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(names.toArray(GeneralName[]::new)));
    b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pub));
    b.addExtension(Extension.authorityKeyIdentifier, false,
        ext.createAuthorityKeyIdentifier(caCert));
    return sign(b, caKey);
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws OperatorCreationException, GeneralSecurityException {
    ContentSigner signer = new JcaContentSignerBuilder(SIG).build(key);
    return new JcaX509CertificateConverter().getCertificate(b.build(signer));
  }

  private static boolean reusable(X509Certificate srv, X509Certificate ca, Set<String> sans) {
    try {
      srv.verify(ca.getPublicKey());
      if (srv.getNotAfter().toInstant().isBefore(Instant.now().plus(Duration.ofDays(30)))) {
        log.info("server certificate expires {}; re-issuing", srv.getNotAfter());
        return false;
      }
      Set<String> have = new TreeSet<>();
      Collection<List<?>> alt = srv.getSubjectAlternativeNames();
      if (alt != null) {
        for (List<?> e : alt) {
          have.add(String.valueOf(e.get(1)).toLowerCase());
        }
      }
      Set<String> want = new TreeSet<>();
      for (String s : sans) {
        want.add(isIpLiteral(s) ? normaliseIp(s) : s.toLowerCase());
      }
      Set<String> haveNorm = new TreeSet<>();
      for (String s : have) {
        haveNorm.add(isIpLiteral(s) ? normaliseIp(s) : s);
      }
      if (!haveNorm.equals(want)) {
        log.info("server certificate SANs {} differ from configured {}; re-issuing", haveNorm, want);
        return false;
      }
      return true;
    } catch (GeneralSecurityException e) {
      log.warn("server certificate not usable ({}); re-issuing", e.getMessage());
      return false;
    }
  }

  static Set<String> serverSans(List<String> extra) {
    Set<String> s = new LinkedHashSet<>();
    s.add("localhost");
    s.add("127.0.0.1");
    String host = hostName();
    if (host != null && !host.isBlank()) {
      s.add(host.toLowerCase());
    }
    for (String e : extra) {
      String t = e.trim();
      if (!t.isEmpty()) {
        s.add(t.toLowerCase());
      }
    }
    return s;
  }

  private static String hostName() {
    try {
      Path etc = Path.of("/etc/hostname");
      if (Files.isReadable(etc)) {
        String h = Files.readString(etc).trim();
        if (!h.isEmpty()) {
          return h;
        }
      }
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return null;
    }
  }

  static boolean isIpLiteral(String s) {
    return s.matches("[0-9.]+") || s.contains(":");
  }

  private static String normaliseIp(String s) {
    try {
      return InetAddress.getByName(s).getHostAddress(); // literal: no lookup
    } catch (IOException e) {
      return s;
    }
  }

  private static X500Name name(String cn, String org) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, org).addRDN(BCStyle.CN, cn).build();
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }
}
