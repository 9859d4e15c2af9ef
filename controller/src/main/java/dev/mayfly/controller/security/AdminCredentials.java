package dev.mayfly.controller.security;

import dev.mayfly.controller.config.MayflyProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The admin credential. Order: {@code mayfly.admin.password} if set; else the content of
 * ${mayfly.home}/admin-password; else a new random password written there with mode 0600
 * and logged once.
 */
@Component
public class AdminCredentials {

  public static final String USER = "admin";
  private static final Logger log = LoggerFactory.getLogger(AdminCredentials.class);

  private final byte[] password;
  private final Path file;

  public AdminCredentials(MayflyProperties props) {
    this.file = props.home().resolve("admin-password");
    String configured = props.admin().password();
    String pw;
    if (configured != null && !configured.isEmpty()) {
      pw = configured;
      log.info("admin password from mayfly.admin.password");
    } else {
      pw = loadOrCreate(file);
    }
    this.password = pw.getBytes(StandardCharsets.UTF_8);
  }

  private static String loadOrCreate(Path file) {
    try {
      if (Files.exists(file)) {
        String pw = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (!pw.isEmpty()) {
          log.info("admin password read from {}", file);
          return pw;
        }
      }
      Files.createDirectories(file.getParent());
      byte[] raw = new byte[18];
      new SecureRandom().nextBytes(raw);
      String pw = HexFormat.of().formatHex(raw);
      Path tmp = file.resolveSibling("admin-password.tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, pw + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      log.warn("generated admin password (user 'admin'): {}  -- stored in {}", pw, file);
      return pw;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create " + file + ": " + e.getMessage(), e);
    }
  }

  /** Constant-time check. */
  public boolean matches(String user, String candidate) {
    return USER.equals(user) && candidate != null
        && MessageDigest.isEqual(password, candidate.getBytes(StandardCharsets.UTF_8));
  }

  public Path file() {
    return file;
  }
}
