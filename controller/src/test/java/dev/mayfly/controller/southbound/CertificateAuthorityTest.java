package dev.mayfly.controller.southbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
  @TempDir Path home;

  @Test
  void createsCaOnceAndReusesIt() throws Exception {
    Path pki = home.resolve("pki");
    CertificateAuthority a = CertificateAuthority.loadOrCreate(pki, List.of("edge.example", "10.1.2.3"));
    for (String f : List.of("ca.key", "server.key")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pki.resolve(f))))
          .isEqualTo("rw-------");
    }
    assertThat(a.serverCertificate().getSubjectAlternativeNames())
        .extracting(l -> String.valueOf(l.get(1)))
        .contains("localhost", "127.0.0.1", "edge.example", "10.1.2.3");
    a.serverCertificate().verify(a.caCertificate().getPublicKey());

    CertificateAuthority b = CertificateAuthority.loadOrCreate(pki, List.of("edge.example", "10.1.2.3"));
    assertThat(b.caCertificate()).isEqualTo(a.caCertificate());
    assertThat(b.serverCertificate()).isEqualTo(a.serverCertificate());

    CertificateAuthority c = CertificateAuthority.loadOrCreate(pki, List.of("other.example"));
    assertThat(c.caCertificate()).isEqualTo(a.caCertificate());
    assertThat(c.serverCertificate()).isNotEqualTo(a.serverCertificate());
    assertThat(c.serverCertificate().getSubjectAlternativeNames())
        .extracting(l -> String.valueOf(l.get(1))).contains("other.example")
        .doesNotContain("edge.example");
  }

  @Test
  void bootstrapTokenIsGeneratedOnceWithMode0600() throws Exception {
    Path f = home.resolve("bootstrap-token");
    BootstrapToken t1 = BootstrapToken.loadOrCreate(null, f);
    String text = Files.readString(f).trim();
    assertThat(text).hasSizeGreaterThanOrEqualTo(40);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
    assertThat(t1.matches(text)).isTrue();
    assertThat(t1.matches(text + "x")).isFalse();
    assertThat(t1.matches(null)).isFalse();
    BootstrapToken t2 = BootstrapToken.loadOrCreate("", f);
    assertThat(t2.matches(text)).isTrue();
    BootstrapToken configured = BootstrapToken.loadOrCreate("from-config", f);
    assertThat(configured.matches("from-config")).isTrue();
    assertThat(configured.matches(text)).isFalse();
  }

  @Test
  void settingsRejectBadValues() {
    assertThatThrownBy(() -> new SouthboundSettings("0.0.0.0", 70000, home, null, 2000, List.of(),
        1 << 22)).hasMessageContaining("mayfly.southbound.port");
    assertThatThrownBy(() -> new SouthboundSettings("0.0.0.0", 7443, home, null, 1, List.of(),
        1 << 22)).hasMessageContaining("heartbeat-interval-ms");
  }
}
