package dev.mayfly.controller.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One real PostgreSQL (zonky) per test JVM, stopped by a shutdown hook. */
public final class TestDatabase {

  private static EmbeddedPostgres pg;
  private static Path home;

  private TestDatabase() {}

  public static synchronized String url() {
    if (pg == null) {
      try {
        home = Files.createTempDirectory("mayfly-test-home");
        pg = EmbeddedPostgres.builder().setDataDirectory(home.resolve("pgdata-test").toFile())
            .setCleanDataDirectory(true).start();
        EmbeddedPostgres started = pg;
        Path dir = home;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          try {
            started.close();
            try (var files = Files.walk(dir)) {
              files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
          } catch (IOException ignored) {
            // JVM is exiting
          }
        }));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return pg.getJdbcUrl("postgres", "postgres");
  }

  /** A scratch ${mayfly.home} for the test application context. */
  public static synchronized Path home() {
    url();
    return home;
  }
}
