package dev.mayfly.controller.subscriber;

import dev.mayfly.api.model.FieldError;
import dev.mayfly.api.model.FirewallPolicy;
import dev.mayfly.api.model.FirewallState;
import dev.mayfly.api.model.FirewallStatus;
import dev.mayfly.api.model.Subscriber;
import dev.mayfly.api.model.SubscriberCreate;
import dev.mayfly.api.model.SubscriberFirewall;
import dev.mayfly.api.model.SubscriberPage;
import dev.mayfly.api.model.SubscriberUpdate;
import dev.mayfly.catalog.firewall.PolicyError;
import dev.mayfly.catalog.firewall.PolicyException;
import dev.mayfly.catalog.firewall.PolicyValidator;
import dev.mayfly.controller.firewall.CompiledPolicies;
import dev.mayfly.controller.firewall.FirewallProvisioner;
import dev.mayfly.controller.firewall.FirewallSettings;
import dev.mayfly.controller.firewall.PolicyMapper;
import dev.mayfly.controller.operation.OperationViews;
import dev.mayfly.controller.web.ApiProblem;
import dev.mayfly.controller.web.Pages;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Subscribers and their firewall policies (the desired state, table {@code subscriber}).
 * Every change bumps the subscriber's {@code policy_generation} when what the data plane must
 * enforce changes, and hands the subscriber to the {@link FirewallProvisioner} once the
 * transaction has committed. A rejected request writes nothing.
 */
@Service
public class SubscriberService {

  /** IMSI/SUPI: 6..15 digits, optionally {@code imsi-} or {@code supi-} in front. */
  public static final Pattern ID = Pattern.compile("((imsi|supi)-)?[0-9]{6,15}");
  public static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

  private final JdbcTemplate jdbc;
  private final FirewallProvisioner provisioner;
  private final FirewallSettings cfg;
  private final CompiledPolicies policies;

  public SubscriberService(JdbcTemplate jdbc, FirewallProvisioner provisioner, FirewallSettings cfg,
      CompiledPolicies policies) {
    this.jdbc = jdbc;
    this.provisioner = provisioner;
    this.cfg = cfg;
    this.policies = policies;
  }

  // ------------------------------------------------------------------ validation

  /** Problems of one create body; fields are prefixed with {@code prefix} ("" or "items[3]."). */
  List<FieldError> validate(SubscriberCreate c, String prefix, Set<String> nodes) {
    return validate(c, prefix, nodes, null);
  }

  /**
   * As {@link #validate(SubscriberCreate, String, Set)}; {@code policyErrors} (when not null)
   * remembers the problems of each distinct policy, so a batch whose items share a policy
   * checks it once.
   */
  List<FieldError> validate(SubscriberCreate c, String prefix, Set<String> nodes,
      Map<FirewallPolicy, List<FieldError>> policyErrors) {
    List<FieldError> errs = new ArrayList<>();
    if (c == null) {
      errs.add(new FieldError(prefix.isEmpty() ? "(body)" : prefix.substring(0, prefix.length() - 1),
          "must not be null"));
      return errs;
    }
    if (c.getId() == null || c.getId().isEmpty()) {
      errs.add(new FieldError(prefix + "id", "missing"));
    } else if (!ID.matcher(c.getId()).matches()) {
      errs.add(new FieldError(prefix + "id", "'" + shorten(c.getId())
          + "' is not an IMSI/SUPI (6-15 digits, optionally prefixed imsi- or supi-)"));
    }
    placeErrors(c.getUeIp(), c.getEdgeNode(), c.getAttachment(), prefix, nodes, errs);
    if (c.getPolicy() != null) {
      if (policyErrors == null) {
        errs.addAll(PolicyMapper.validate(c.getPolicy(), prefix + "policy."));
      } else {
        for (FieldError e : policyErrors.computeIfAbsent(c.getPolicy(), p -> PolicyMapper.validate(p, ""))) {
          errs.add(new FieldError(prefix + "policy." + e.getField(), e.getMessage()));
        }
      }
    }
    return errs;
  }

  private static void placeErrors(String ueIp, String node, String attachment, String prefix, Set<String> nodes,
      List<FieldError> errs) {
    for (PolicyError e : PolicyValidator.validateUeIp(ueIp)) {
      errs.add(new FieldError(prefix + e.field(), e.message()));
    }
    if (node == null || node.isEmpty()) {
      errs.add(new FieldError(prefix + "edgeNode", "missing"));
    } else if (!nodes.contains(node)) {
      errs.add(new FieldError(prefix + "edgeNode", "no edge node named '" + shorten(node) + "'"));
    }
    if (attachment == null || attachment.isEmpty()) {
      errs.add(new FieldError(prefix + "attachment", "missing"));
    } else if (!IFNAME.matcher(attachment).matches()) {
      errs.add(new FieldError(prefix + "attachment", "'" + shorten(attachment)
          + "' is not an interface name (1-15 of A-Z a-z 0-9 _ . -)"));
    }
  }

  static String shorten(String s) {
    String one = s.replaceAll("\\p{Cntrl}", "?");
    return one.length() > 64 ? one.substring(0, 61) + "..." : one;
  }

  Set<String> nodeNames() {
    return new HashSet<>(jdbc.queryForList("SELECT name FROM edge_node", String.class));
  }

  /** 409 problems: the id, the UE address or the node's attachment is taken (by another subscriber). */
  List<FieldError> conflicts(String id, String ueIp, String node, String attachment, String prefix, String self) {
    List<FieldError> errs = new ArrayList<>();
    if (self == null && id != null && exists("SELECT 1 FROM subscriber WHERE id = ?", id)) {
      errs.add(new FieldError(prefix + "id", "subscriber '" + id + "' already exists"));
    }
    List<String> ipOwner = jdbc.queryForList("SELECT id FROM subscriber WHERE ue_ip = ?", String.class, ueIp.strip());
    if (!ipOwner.isEmpty() && !ipOwner.get(0).equals(self)) {
      errs.add(new FieldError(prefix + "ueIp", "UE address " + ueIp.strip() + " is in use by subscriber '"
          + ipOwner.get(0) + "'"));
    }
    List<String> attOwner = jdbc.queryForList("SELECT id FROM subscriber WHERE edge_node = ? AND attachment = ?",
        String.class, node, attachment);
    if (!attOwner.isEmpty() && !attOwner.get(0).equals(self)) {
      errs.add(new FieldError(prefix + "attachment", "attachment " + attachment + " on " + node
          + " is in use by subscriber '" + attOwner.get(0) + "'"));
    }
    return errs;
  }

  private boolean exists(String sql, Object... args) {
    return !jdbc.queryForList(sql, Integer.class, args).isEmpty();
  }

  static ApiProblem conflict(List<FieldError> errs) {
    return ApiProblem.conflict(errs.get(0).getField().endsWith("id") ? "already-exists" : "in-use",
        errs.size() == 1 ? errs.get(0).getField() + ": " + errs.get(0).getMessage()
            : errs.size() + " fields conflict with existing subscribers", errs);
  }

  /**
   * Compiles {@code policy} (stored form {@code json}) for {@code ueIp}; 422 naming {@code
   * rules[i].field} when it cannot. Through the shared {@link CompiledPolicies} cache, so the
   * provisioner finds the same policy compiled already.
   */
  void compileOrThrow(FirewallPolicy policy, String json, String ueIp, String prefix) {
    List<FieldError> errs = compileErrors(policy, json, ueIp, prefix, "");
    if (!errs.isEmpty()) {
      throw ApiProblem.invalid(errs);
    }
  }

  /** The compiler's problems with {@code policy} for {@code ueIp}, fields prefixed (ueIp with {@code ipPrefix}). */
  List<FieldError> compileErrors(FirewallPolicy policy, String json, String ueIp, String prefix, String ipPrefix) {
    try {
      policies.compile(json, policies.model(json), ueIp.strip());
      return List.of();
    } catch (PolicyException e) {
      List<FieldError> errs = new ArrayList<>();
      for (PolicyError pe : e.errors()) {
        errs.add(new FieldError(pe.field().equals("ueIp") ? ipPrefix + "ueIp" : prefix + pe.field(), pe.message()));
      }
      return errs;
    }
  }

  // ------------------------------------------------------------------ subscribers

  @Transactional
  public Subscriber create(SubscriberCreate c) {
    List<FieldError> errs = validate(c, "", nodeNames());
    if (!errs.isEmpty()) {
      throw ApiProblem.invalid(errs);
    }
    String json = c.getPolicy() == null ? null : PolicyMapper.toJson(c.getPolicy());
    if (json != null) {
      compileOrThrow(c.getPolicy(), json, c.getUeIp(), "policy.");
    }
    List<FieldError> taken = conflicts(c.getId(), c.getUeIp(), c.getEdgeNode(), c.getAttachment(), "", null);
    if (!taken.isEmpty()) {
      throw conflict(taken);
    }
    Instant now = Instant.now();
    try {
      jdbc.update("INSERT INTO subscriber (id, ue_ip, edge_node, attachment, fail_open, policy, policy_generation,"
          + " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)", c.getId(), c.getUeIp().strip(),
          c.getEdgeNode(), c.getAttachment(), c.getFailOpen(), json, ts(now), ts(now));
    } catch (DuplicateKeyException e) {
      throw raced(e);
    }
    afterCommit(List.of(c.getId()));
    return get(c.getId());
  }

  static ApiProblem raced(DuplicateKeyException e) {
    String m = String.valueOf(e.getMessage());
    String field = m.contains("ue_ip") ? "ueIp" : m.contains("attachment") ? "attachment" : "id";
    return conflict(List.of(new FieldError(field, "taken by a concurrent request")));
  }

  @Transactional
  public Subscriber update(String id, SubscriberUpdate u) {
    Row cur = lock(id);
    List<FieldError> errs = new ArrayList<>();
    placeErrors(u.getUeIp(), u.getEdgeNode(), u.getAttachment(), "", nodeNames(), errs);
    if (!errs.isEmpty()) {
      throw ApiProblem.invalid(errs);
    }
    if (cur.policyJson() != null) {
      compileOrThrow(PolicyMapper.fromJson(cur.policyJson()), cur.policyJson(), u.getUeIp(), "policy.");
    }
    List<FieldError> taken = conflicts(id, u.getUeIp(), u.getEdgeNode(), u.getAttachment(), "", id);
    if (!taken.isEmpty()) {
      throw conflict(taken);
    }
    Instant now = Instant.now();
    try {
      jdbc.update("UPDATE subscriber SET ue_ip = ?, edge_node = ?, attachment = ?, fail_open = ?,"
          + " policy_generation = policy_generation + 1, updated_at = ? WHERE id = ?", u.getUeIp().strip(),
          u.getEdgeNode(), u.getAttachment(), u.getFailOpen(), ts(now), id);
    } catch (DuplicateKeyException e) {
      throw raced(e);
    }
    afterCommit(List.of(id));
    return get(id);
  }

  @Transactional
  public void delete(String id) {
    if (jdbc.update("DELETE FROM subscriber WHERE id = ?", id) == 0) {
      throw notFound(id);
    }
    afterCommit(List.of(id));
  }

  @Transactional(readOnly = true)
  public Subscriber get(String id) {
    return toApi(find(id));
  }

  @Transactional(readOnly = true)
  public SubscriberPage list(Integer page, Integer size, String node, String ueIp, String idPrefix) {
    var p = Pages.of(page, size, org.springframework.data.domain.Sort.unsorted());
    StringBuilder where = new StringBuilder(" WHERE TRUE");
    List<Object> args = new ArrayList<>();
    if (node != null) {
      where.append(" AND s.edge_node = ?");
      args.add(node);
    }
    if (ueIp != null) {
      where.append(" AND s.ue_ip = ?");
      args.add(ueIp.strip());
    }
    if (idPrefix != null) {
      where.append(" AND s.id LIKE ? ESCAPE '\\'");
      args.add(idPrefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
    }
    Long total = jdbc.queryForObject("SELECT count(*) FROM subscriber s" + where, Long.class, args.toArray());
    args.add(p.getPageSize());
    args.add(p.getOffset());
    List<Row> rows = jdbc.query(ROW_SELECT + where + " ORDER BY s.id LIMIT ? OFFSET ?", SubscriberService::row,
        args.toArray());
    return new SubscriberPage(rows.stream().map(this::toApi).toList(), p.getPageNumber(), p.getPageSize(),
        total == null ? 0 : total);
  }

  // ------------------------------------------------------------------ policy

  @Transactional
  public SubscriberFirewall putPolicy(String id, FirewallPolicy policy) {
    Row cur = lock(id);
    List<FieldError> errs = PolicyMapper.validate(policy, "");
    if (!errs.isEmpty()) {
      throw ApiProblem.invalid(errs);
    }
    String json = PolicyMapper.toJson(policy);
    compileOrThrow(policy, json, cur.ueIp(), "");
    jdbc.update("UPDATE subscriber SET policy = ?, policy_generation = policy_generation + 1, updated_at = ?"
        + " WHERE id = ?", json, ts(Instant.now()), id);
    afterCommit(List.of(id));
    return firewall(id);
  }

  @Transactional
  public SubscriberFirewall deletePolicy(String id) {
    lock(id);
    jdbc.update("UPDATE subscriber SET policy = NULL, policy_generation = policy_generation + 1, updated_at = ?"
        + " WHERE id = ?", ts(Instant.now()), id);
    afterCommit(List.of(id));
    return firewall(id);
  }

  @Transactional(readOnly = true)
  public SubscriberFirewall firewall(String id) {
    Row r = find(id);
    SubscriberFirewall f = new SubscriberFirewall(r.id(), r.generation(), status(r));
    f.setPolicy(PolicyMapper.fromJson(r.policyJson()));
    return f;
  }

  // ------------------------------------------------------------------ rows and views

  /** A subscriber row joined with its live guest (guest columns null when none). */
  record Row(String id, String ueIp, String node, String attachment, Boolean failOpen, String policyJson,
      long generation, Instant createdAt, Instant updatedAt, String guestId, String guestNode, String guestState,
      Long applied, String error, Instant guestUpdatedAt, Integer batchIndex, Integer restarts,
      Instant lastRestartAt) {}

  static final String ROW_SELECT = "SELECT s.id, s.ue_ip, s.edge_node, s.attachment, s.fail_open, s.policy,"
      + " s.policy_generation, s.created_at, s.updated_at, g.guest_id, g.node_name, g.state, g.applied_policy_gen,"
      + " g.error, g.updated_at, s.batch_index, g.restarts, g.last_restart_at FROM subscriber s"
      + " LEFT JOIN firewall_guest g ON g.subscriber_id = s.id AND g.desired = 'RUNNING'";

  static Row row(ResultSet rs, int n) throws SQLException {
    return new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), (Boolean) rs.getObject(5),
        rs.getString(6), rs.getLong(7), inst(rs.getTimestamp(8)), inst(rs.getTimestamp(9)), rs.getString(10),
        rs.getString(11), rs.getString(12), (Long) rs.getObject(13), rs.getString(14), inst(rs.getTimestamp(15)),
        (Integer) rs.getObject(16), (Integer) rs.getObject(17), inst(rs.getTimestamp(18)));
  }

  private static Instant inst(Timestamp t) {
    return t == null ? null : t.toInstant();
  }

  static Timestamp ts(Instant i) {
    return Timestamp.from(i);
  }

  Row find(String id) {
    List<Row> rows = jdbc.query(ROW_SELECT + " WHERE s.id = ?", SubscriberService::row, id);
    if (rows.isEmpty()) {
      throw notFound(id);
    }
    return rows.get(0);
  }

  private Row lock(String id) {
    if (jdbc.queryForList("SELECT 1 FROM subscriber WHERE id = ? FOR UPDATE", Integer.class, id).isEmpty()) {
      throw notFound(id);
    }
    return find(id);
  }

  static ApiProblem notFound(String id) {
    return new ApiProblem(HttpStatus.NOT_FOUND, "not-found", "Not found", "subscriber '" + shorten(id)
        + "' does not exist", List.of(new FieldError("subscriberId", "no subscriber '" + shorten(id) + "'")));
  }

  boolean failOpen(Boolean own) {
    return own != null ? own : cfg.failOpen();
  }

  /** The firewall as the client sees it (see FirewallState in openapi.yaml). */
  FirewallStatus status(Row r) {
    boolean open = failOpen(r.failOpen());
    FirewallStatus.ModeEnum mode = r.policyJson() != null ? FirewallStatus.ModeEnum.POLICY
        : open ? FirewallStatus.ModeEnum.FAIL_OPEN : FirewallStatus.ModeEnum.BLOCKED;
    FirewallState st;
    if (r.guestId() == null) {
      st = mode == FirewallStatus.ModeEnum.BLOCKED ? FirewallState.NONE : FirewallState.PENDING;
    } else if (mode == FirewallStatus.ModeEnum.BLOCKED) {
      st = FirewallState.TERMINATING;
    } else {
      st = FirewallState.fromValue(r.guestState());
      if (st == FirewallState.RUNNING && (r.applied() == null || r.applied() < r.generation())) {
        st = FirewallState.UPDATING;
      }
      if (st != FirewallState.FAILED && !provisioner.connected(r.guestNode())) {
        st = FirewallState.UNREACHABLE;
      }
    }
    FirewallStatus s = new FirewallStatus(st, mode);
    s.setGeneration(r.generation());
    if (r.guestId() != null) {
      s.setGuestId(r.guestId());
      s.setNode(r.guestNode());
      s.setAppliedGeneration(r.applied());
      s.setError(r.error());
      s.setUpdatedAt(OperationViews.time(r.guestUpdatedAt()));
      s.setRestarts(r.restarts() == null ? 0 : r.restarts());
      if (r.lastRestartAt() != null) {
        s.setLastRestartAt(OperationViews.time(r.lastRestartAt()));
      }
    }
    return s;
  }

  Subscriber toApi(Row r) {
    Subscriber s = new Subscriber(r.id(), r.ueIp(), r.node(), r.attachment(), failOpen(r.failOpen()),
        r.policyJson() != null, status(r), OperationViews.time(r.createdAt()));
    s.setUpdatedAt(OperationViews.time(r.updatedAt()));
    return s;
  }

  /** Hands {@code ids} to the provisioner when (and only if) the transaction commits. */
  void afterCommit(Collection<String> ids) {
    List<String> copy = List.copyOf(ids);
    if (TransactionSynchronizationManager.isSynchronizationActive()) {
      TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
        @Override
        public void afterCommit() {
          provisioner.enqueue(copy);
        }
      });
    } else {
      provisioner.enqueue(copy);
    }
  }
}
