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
      EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
          .setDataDirectory(dir.toFile())
          .setCleanDataDirectory(false);
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
    c.setPoolName("mayfly");
    return new HikariDataSource(c);
  }
}
