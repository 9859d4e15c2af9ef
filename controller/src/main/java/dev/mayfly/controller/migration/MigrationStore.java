package dev.mayfly.controller.migration;

import dev.mayfly.migration.flow.MigrationSnapshot;
import dev.mayfly.migration.flow.MigrationState;
import dev.mayfly.migration.flow.StepRecord;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code migration} table and the operation it drives. {@link #save} is the
 * {@link dev.mayfly.migration.flow.MigrationListener}: it stores the snapshot (JSON) and
 * rewrites the operation's state, phases (with durations), {@code downtime} and {@code total}
 * pseudo-phases and error, in one transaction, before the step's command goes out.
 *
 * <p>These transactions run with {@code synchronous_commit = off}: the commit returns
 * without waiting for the WAL flush (a few ms with fsync on, several times per migration,
 * most of them inside the downtime). The write is still durable against a controller crash
 * (PostgreSQL keeps it); only a PostgreSQL or host crash within its WAL writer delay
 * (200 ms) can lose the last snapshot, and then the restart rule works from the one before.
 */
@Component
public class MigrationStore {

  static final JsonMapper JSON = JsonMapper.builder().build();

  /**
   * One migration row. {@code baseGeneration} is the base of the command generations the
   * migration sends ({@code base+1 .. base+10}); {@code instanceGeneration} (MIGRATE only) is the
   * NF instance's generation when it started, which a rollback restores.
   */
  public record Row(String id, String kind, UUID operationId, String subscriberId, String guestId, String nfType,
      String sourceNode, String targetNode, String sourceAttachment, String targetAttachment, long baseGeneration,
      String state, String snapshotJson, Long instanceGeneration) {

    public Row(String id, String kind, UUID operationId, String subscriberId, String guestId, String nfType,
        String sourceNode, String targetNode, String sourceAttachment, String targetAttachment, long baseGeneration,
        String state, String snapshotJson) {
      this(id, kind, operationId, subscriberId, guestId, nfType, sourceNode, targetNode, sourceAttachment,
          targetAttachment, baseGeneration, state, snapshotJson, null);
    }

    public MigrationSnapshot snapshot() {
      return snapshotJson == null ? null : JSON.readValue(snapshotJson, MigrationSnapshot.class);
    }
  }

  private final JdbcTemplate jdbc;
  private final TransactionTemplate tx;

  public MigrationStore(JdbcTemplate jdbc, TransactionTemplate tx) {
    this.jdbc = jdbc;
    this.tx = tx;
  }

  static Timestamp ts(Instant i) {
    return i == null ? null : Timestamp.from(i);
  }

  private static final String SELECT = "SELECT id, kind, operation_id, subscriber_id, guest_id, nf_type, source_node,"
      + " target_node, source_attachment, target_attachment, base_generation, state, snapshot, instance_generation FROM migration";

  private static Row row(java.sql.ResultSet rs, int n) throws java.sql.SQLException {
    return new Row(rs.getString(1), rs.getString(2), (UUID) rs.getObject(3), rs.getString(4), rs.getString(5),
        rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), rs.getLong(11),
        rs.getString(12), rs.getString(13), (Long) rs.getObject(14));
  }

  /** Inserts the migration row (in the caller's transaction). */
  void insert(Row r, Instant now) {
    jdbc.update("INSERT INTO migration (id, kind, operation_id, subscriber_id, guest_id, nf_type, source_node,"
        + " target_node, source_attachment, target_attachment, base_generation, state, created_at, updated_at,"
        + " instance_generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?)", r.id(), r.kind(),
        r.operationId(), r.subscriberId(), r.guestId(), r.nfType(), r.sourceNode(), r.targetNode(),
        r.sourceAttachment(), r.targetAttachment(), r.baseGeneration(), ts(now), ts(now), r.instanceGeneration());
  }

  /** Inserts the operation row of a new migration (in the caller's transaction). */
  void insertOperation(UUID id, String type, String resourceType, String resourceId, Instant now) {
    jdbc.update("INSERT INTO operation (id, type, state, resource_type, resource_id, start_time, state_entered_time)"
        + " VALUES (?, ?, 'RUNNING', ?, ?, ?, ?)", id, type, resourceType, resourceId, ts(now), ts(now));
  }

  public Row find(String id) {
    List<Row> l = jdbc.query(SELECT + " WHERE id = ?", MigrationStore::row, id);
    return l.isEmpty() ? null : l.get(0);
  }

  public Row findByOperation(UUID op) {
    List<Row> l = jdbc.query(SELECT + " WHERE operation_id = ?", MigrationStore::row, op);
    return l.isEmpty() ? null : l.get(0);
  }

  /** Migrations not in a terminal state (what a restarted controller must finish). */
  public List<Row> unfinished() {
    return jdbc.query(SELECT + " WHERE state NOT IN ('SUCCEEDED', 'FAILED', 'ROLLED_BACK') ORDER BY created_at",
        MigrationStore::row);
  }

  /** Stores {@code s} and mirrors it into the operation; one transaction. */
  public void save(MigrationSnapshot s) {
    String json = JSON.writeValueAsString(s);
    Instant now = s.updatedAt() == null ? Instant.now() : s.updatedAt();
    tx.executeWithoutResult(st -> {
      jdbc.execute("SET LOCAL synchronous_commit = off");
      List<UUID> ops = jdbc.queryForList("UPDATE migration SET state = ?, snapshot = ?, updated_at = ? WHERE id = ?"
          + " RETURNING operation_id", UUID.class, s.state().name(), json, ts(now), s.migrationId());
      if (ops.isEmpty()) {
        throw new IllegalStateException("migration " + s.migrationId() + " is not in the database");
      }
      UUID op = ops.get(0);
      String opState = operationState(s.state());
      jdbc.update("UPDATE operation SET state_entered_time = CASE WHEN state = ? THEN state_entered_time ELSE ? END,"
          + " state = ? WHERE id = ?", opState, ts(now), opState, op);
      if (s.state() == MigrationState.ROLLED_BACK || s.state() == MigrationState.FAILED) {
        boolean rolledBack = s.state() == MigrationState.ROLLED_BACK;
        jdbc.update("UPDATE operation SET error_status = ?, error_title = ?, error_detail = ? WHERE id = ?",
            rolledBack ? 409 : 500,
            rolledBack ? "Migration rolled back: the guest still runs on " + s.sourceNode()
                : "Migration failed and could not be fully rolled back",
            s.error(), op);
      } else if (s.state() == MigrationState.SUCCEEDED && s.cleanupError() != null) {
        jdbc.update("UPDATE operation SET error_detail = ? WHERE id = ?", "cleanup: " + s.cleanupError(), op);
      }
      jdbc.update("DELETE FROM operation_phase WHERE operation_id = ?", op);
      List<Object[]> phases = new ArrayList<>();
      int seq = 0;
      for (StepRecord r : s.phases()) {
        Object[] row = phase(op, seq++, r.step(), r);
        if (r.step().equals("DESTROY_SOURCE") && row[6] == null && s.attributes().containsKey("handlers.target")) {
          row[6] = "flow state: source [" + s.attributes().getOrDefault("handlers.source", "") + "] target ["
              + s.attributes().get("handlers.target") + "]";
        }
        phases.add(row);
      }
      for (StepRecord r : s.compensations()) {
        phases.add(phase(op, seq++, "compensate:" + r.step(), r));
      }
      if (s.downtimeMicros() >= 0) {
        phases.add(new Object[] {op, seq++, "downtime", "SUCCEEDED", ts(s.phase(dev.mayfly.migration.flow.Phase
            .PAUSE_SOURCE).startedAt()), s.downtimeMillis(), "pause of the source to the end of the resume"});
      }
      if (s.totalMicros() >= 0) {
        phases.add(new Object[] {op, seq++, "total", "SUCCEEDED", ts(s.createdAt()), s.totalMillis(),
            s.recoveries() > 0 ? "resumed after " + s.recoveries() + " controller restart(s)" : null});
      }
      jdbc.batchUpdate("INSERT INTO operation_phase (operation_id, seq, name, state, start_time, duration_ms, detail)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?)", phases);
    });
  }

  private static Object[] phase(UUID op, int seq, String name, StepRecord r) {
    String state = switch (r.status()) {
      case PENDING -> "PENDING";
      case RUNNING -> "RUNNING";
      case SUCCEEDED -> "SUCCEEDED";
      case FAILED -> "FAILED";
      case SKIPPED -> "ROLLED_BACK";
    };
    String detail = r.error() != null ? r.error() : r.status() == dev.mayfly.migration.flow.StepStatus.SKIPPED
        ? "skipped" : null;
    return new Object[] {op, seq, name, state, ts(r.startedAt()), r.micros() < 0 ? null : r.millis(), detail};
  }

  static String operationState(MigrationState s) {
    return switch (s) {
      case PENDING, RUNNING, ROLLING_BACK -> "RUNNING";
      case SUCCEEDED -> "SUCCEEDED";
      case FAILED, ROLLED_BACK -> "FAILED";
    };
  }
}
