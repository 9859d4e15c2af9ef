package dev.mayfly.controller.config;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The database: {@code mayfly.db.url} (env MAYFLY_DB_URL, with MAYFLY_DB_USER and
 * MAYFLY_DB_PASSWORD) when set; otherwise an embedded PostgreSQL (zonky) whose data
 * directory is ${mayfly.home}/pgdata, kept across restarts and stopped on shutdown.
 */
@Configuration(proxyBeanMethods = false)
public class DatabaseConfig {

  private static final Logger log = LoggerFactory.getLogger(DatabaseConfig.class);

  /** Where the JDBC connection goes; owns the embedded server when there is one. */
  public static final class DatabaseEndpoint implements AutoCloseable {
    private final EmbeddedPostgres embedded;
    final String url;
    final String user;
    final String password;

    DatabaseEndpoint(EmbeddedPostgres embedded, String url, String user, String password) {
      this.embedded = embedded;
      this.url = url;
      this.user = user;
      this.password = password;
    }

    public boolean embedded() {
      return embedded != null;
    }

    @Override
    public void close() throws IOException {
      if (embedded != null) {
        log.info("stopping embedded PostgreSQL");
        embedded.close();
      }
    }
  }

  @Bean(destroyMethod = "close")
  DatabaseEndpoint databaseEndpoint(MayflyProperties props) {
    MayflyProperties.Db db = props.db();
    if (db.url() != null && !db.url().isBlank()) {
      log.info("using external database {}", db.url());
      return new DatabaseEndpoint(null, db.url(), db.user(), db.password());
    }
    Path dir = props.home().resolve("pgdata");
    try {
      Files.createDirectories(dir);
      stopOrphanedPostmaster(dir);
      EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
          .setDataDirectory(dir.toFile())
          .setCleanDataDirectory(false)
          // zonky runs with fsync off (a test default); the controller's state must survive
          // an OS crash uncorrupted. synchronous_commit stays off: a crash may lose the last
          // few hundred ms of commits, and the reconciler re-converges from the agents' reports.
          .setServerConfig("fsync", "on")
          .setServerConfig("full_page_writes", "on")
          .setServerConfig("synchronous_commit", "off");
      if (db.port() > 0) {
        b.setPort(db.port());
      }
      EmbeddedPostgres pg = b.start();
      String url = pg.getJdbcUrl("postgres", "postgres");
      log.info("embedded PostgreSQL on port {}, data in {}", pg.getPort(), dir);
      return new DatabaseEndpoint(pg, url, "postgres", null);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start embedded PostgreSQL in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * A controller killed with SIGKILL leaves its PostgreSQL running on the data directory,
   * which would make the next start fail. Stop it (smart shutdown: its clients died with
   * the old JVM) when postmaster.pid names a live postgres process on this directory.
   */
  static void stopOrphanedPostmaster(Path dir) throws IOException {
    Path pidFile = dir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
    } catch (RuntimeException e) {
      return;
    }
    var handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !handle.get().isAlive()) {
      return;
    }
    String cmd = handle.get().info().commandLine().orElse("");
    if (!cmd.contains("postgres") || !cmd.contains(dir.toString())) {
      return;
    }
    log.warn("stopping orphaned embedded PostgreSQL (pid {}) left on {}", pid, dir);
    handle.get().destroy();
    try {
      handle.get().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("orphaned PostgreSQL (pid {}) did not stop: {}", pid, e.toString());
    }
  }

  @Bean(destroyMethod = "close")
  DataSource dataSource(DatabaseEndpoint endpoint) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(endpoint.url);
    if (endpoint.user != null && !endpoint.user.isBlank()) {
      c.setUsername(endpoint.user);
    }
    if (endpoint.password != null && !endpoint.password.isBlank()) {
      c.setPassword(endpoint.password);
    }
    c.setMaximumPoolSize(16);
    // JdbcTemplate.batchUpdate (bulk subscriber provisioning, the firewall provisioner) becomes
    // multi-row INSERTs instead of one statement per row (an explicit URL parameter wins)
    c.addDataSourceProperty("reWriteBatchedInserts", "true");
    c.setPoolName("mayfly");
    return new HikariDataSource(c);
  }
}
