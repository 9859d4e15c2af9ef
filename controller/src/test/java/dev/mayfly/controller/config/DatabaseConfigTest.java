package dev.mayfly.controller.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;

/** Without MAYFLY_DB_URL the controller runs its own PostgreSQL under ${mayfly.home}/pgdata, kept across restarts. */
class DatabaseConfigTest {

  @TempDir
  Path home;

  private static MayflyProperties props(Path home, String url) {
    return new MayflyProperties(home, new MayflyProperties.Admin(null), new MayflyProperties.Db(url, null, null, 0),
        null, null, null, null);
  }

  @Test
  void embeddedDatabaseKeepsItsDataAcrossRestarts() throws Exception {
    DatabaseConfig cfg = new DatabaseConfig();
    try (DatabaseConfig.DatabaseEndpoint ep = cfg.databaseEndpoint(props(home, ""));
        HikariDataSource ds = (HikariDataSource) cfg.dataSource(ep)) {
      assertThat(ep.embedded()).isTrue();
      new JdbcTemplate(ds).execute("create table kept (v int); insert into kept values (42)");
      assertThat(new JdbcTemplate(ds).queryForObject("show fsync", String.class)).isEqualTo("on");
    }
    assertThat(Files.isDirectory(home.resolve("pgdata"))).isTrue();
    try (DatabaseConfig.DatabaseEndpoint ep = cfg.databaseEndpoint(props(home, null));
        HikariDataSource ds = (HikariDataSource) cfg.dataSource(ep)) {
      assertThat(new JdbcTemplate(ds).queryForObject("select v from kept", Integer.class)).isEqualTo(42);
    }
  }

  @Test
  void externalUrlIsUsedAsIs() throws Exception {
    DatabaseConfig cfg = new DatabaseConfig();
    try (DatabaseConfig.DatabaseEndpoint ep = cfg.databaseEndpoint(
        props(home, dev.mayfly.controller.support.TestDatabase.url()))) {
      assertThat(ep.embedded()).isFalse();
      try (HikariDataSource ds = (HikariDataSource) cfg.dataSource(ep)) {
        assertThat(new JdbcTemplate(ds).queryForObject("select 1", Integer.class)).isEqualTo(1);
      }
    }
    assertThat(Files.exists(home.resolve("pgdata"))).isFalse();
  }
}
