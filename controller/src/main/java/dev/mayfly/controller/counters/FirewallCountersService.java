package dev.mayfly.controller.counters;

import dev.mayfly.api.model.FirewallCounters;
import dev.mayfly.controller.web.ApiProblem;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

/**
 * Finds a subscriber's firewall guest and reads its counters live (see package-info). Only
 * reads the tables {@code subscriber} and {@code firewall_guest} (owned by the subscriber and
 * firewall packages); holds no transaction while waiting for the agent.
 */
@Service
public class FirewallCountersService {

  private record GuestRow(String guestId, String node, String state) {}

  private final JdbcTemplate jdbc;
  private final HandlerReader reader;
  private volatile Duration timeout;

  public FirewallCountersService(JdbcTemplate jdbc, HandlerReader reader,
      @Value("${mayfly.counters.timeout:2s}") Duration timeout) {
    this.jdbc = jdbc;
    this.reader = reader;
    this.timeout = timeout;
  }

  /** For tests. */
  public void timeout(Duration d) {
    this.timeout = d;
  }

  public FirewallCounters read(String subscriberId) {
    Integer n = jdbc.queryForObject("SELECT count(*) FROM subscriber WHERE id = ?", Integer.class, subscriberId);
    if (n == null || n == 0) {
      throw ApiProblem.notFound("subscriber", subscriberId);
    }
    // the guest the subscriber's traffic goes through: RUNNING/UPDATING first, newest first
    List<GuestRow> rows = jdbc.query("SELECT guest_id, node_name, state FROM firewall_guest"
        + " WHERE subscriber_id = ? AND desired <> 'DELETED'"
        + " ORDER BY (state IN ('RUNNING', 'UPDATING')) DESC, created_at DESC LIMIT 1",
        (rs, i) -> new GuestRow(rs.getString(1), rs.getString(2), rs.getString(3)), subscriberId);
    if (rows.isEmpty()) {
      throw new ApiProblem(HttpStatus.NOT_FOUND, "not-found", "Not found", "subscriber '" + subscriberId
          + "' has no firewall guest (no policy and fail closed, or the guest is being removed)", null);
    }
    GuestRow g = rows.get(0);
    if (!"RUNNING".equals(g.state()) && !"UPDATING".equals(g.state())) {
      throw ApiProblem.conflict("not-running", "the firewall guest " + g.guestId() + " of subscriber '"
          + subscriberId + "' on node " + g.node() + " is " + g.state() + ", not RUNNING", null);
    }
    HandlerReader.Reading r;
    try {
      r = reader.read(g.node(), g.guestId(), timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable(g.node(), "interrupted");
    } catch (HandlerReader.ReadFailedException e) {
      switch (e.failure()) {
        case UNREACHABLE, TIMEOUT -> throw unavailable(g.node(), e.getMessage());
        default -> {
          if ("NOT_FOUND".equals(e.agentCode())) {
            throw new ApiProblem(HttpStatus.NOT_FOUND, "not-found", "Not found", e.getMessage(), null);
          }
          throw new ApiProblem(HttpStatus.BAD_GATEWAY, "agent-error", "Agent error", e.getMessage(),
              List.of(ApiProblem.fieldError("edgeNode", g.node() + ": " + e.agentCode())));
        }
      }
    }
    return FirewallCountersMapper.map(subscriberId, g.node(), g.guestId(), r.handlers(),
        OffsetDateTime.now(ZoneOffset.UTC), r.millis());
  }

  static ApiProblem unavailable(String node, String why) {
    return new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, "node-unreachable", "Node unreachable",
        "node " + node + " is unreachable: " + why, List.of(ApiProblem.fieldError("edgeNode", node + ": " + why)));
  }
}
