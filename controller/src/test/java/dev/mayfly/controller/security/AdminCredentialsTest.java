package dev.mayfly.controller.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.controller.config.MayflyProperties;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminCredentialsTest {

  @TempDir
  Path home;

  private MayflyProperties props(String pw) {
    return new MayflyProperties(home, new MayflyProperties.Admin(pw), null, null, null, null, null);
  }

  @Test
  void generatesAPasswordFileWithMode0600AndReusesIt() throws Exception {
    AdminCredentials first = new AdminCredentials(props(null));
    Path f = home.resolve("admin-password");
    assertThat(f).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
    String pw = Files.readString(f).strip();
    assertThat(pw).hasSizeGreaterThanOrEqualTo(24);
    assertThat(first.matches("admin", pw)).isTrue();
    assertThat(first.matches("admin", pw + "x")).isFalse();
    assertThat(first.matches("root", pw)).isFalse();
    assertThat(first.matches("admin", null)).isFalse();
    AdminCredentials second = new AdminCredentials(props(""));
    assertThat(second.matches("admin", pw)).isTrue();
  }

  @Test
  void configuredPasswordWinsAndWritesNoFile() {
    AdminCredentials c = new AdminCredentials(props("s3cret"));
    assertThat(c.matches("admin", "s3cret")).isTrue();
    assertThat(home.resolve("admin-password")).doesNotExist();
  }
}
