package dev.mayfly.controller.southbound;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The enrollment secret. Configured ({@code mayfly.southbound.bootstrap-token} /
 * {@code MAYFLY_BOOTSTRAP_TOKEN}) or generated once into {@code ${mayfly.home}/bootstrap-token}
 * (mode 0600) and read from there on later starts. Comparison is constant-time.
 */
public final class BootstrapToken {
  private static final Logger log = LoggerFactory.getLogger(BootstrapToken.class);
  private final byte[] digest;

  private BootstrapToken(String token) {
    this.digest = sha256(token);
  }

  public static BootstrapToken of(String token) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("bootstrap token must not be empty");
    }
    return new BootstrapToken(token.trim());
  }

  /** Uses {@code configured} if set, else reads or creates {@code file}. */
  public static BootstrapToken loadOrCreate(String configured, Path file) throws IOException {
    if (configured != null && !configured.isBlank()) {
      return of(configured);
    }
    if (Files.exists(file)) {
      String t = Files.readString(file, StandardCharsets.US_ASCII).trim();
      if (t.isEmpty()) {
        throw new IOException(file + ": bootstrap token file is empty");
      }
      return of(t);
    }
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    String t = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    Pem.write(file, t + "\n", true);
    log.info("generated bootstrap token in {}", file);
    return of(t);
  }

  /** Constant-time check (both sides hashed first, so the length does not leak either). */
  public boolean matches(String candidate) {
    if (candidate == null) {
      return false;
    }
    return MessageDigest.isEqual(digest, sha256(candidate.trim()));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
