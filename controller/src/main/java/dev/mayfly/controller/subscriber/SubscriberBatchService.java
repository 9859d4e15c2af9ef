package dev.mayfly.controller.subscriber;

import dev.mayfly.api.model.FieldError;
import dev.mayfly.api.model.FirewallState;
import dev.mayfly.api.model.OperationState;
import dev.mayfly.api.model.SubscriberBatch;
import dev.mayfly.api.model.SubscriberBatchItem;
import dev.mayfly.api.model.SubscriberBatchRequest;
import dev.mayfly.api.model.SubscriberCreate;
import dev.mayfly.controller.firewall.PolicyMapper;
import dev.mayfly.controller.operation.OperationViews;
import dev.mayfly.controller.web.ApiProblem;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Bulk provisioning: up to {@value #MAX_ITEMS} subscribers with their policies as one
 * batch. Validation (fields, policies, duplicates inside the batch and against the table)
 * comes first; {@code atomic} refuses the whole batch on any bad item, otherwise the good
 * items are inserted in one transaction (each item is one row, subscriber and policy
 * together, so no item is ever half-applied) and the bad ones are recorded with their
 * index and fields. The batch's state is derived from its items' firewalls on every read.
 */
@Service
public class SubscriberBatchService {

  public static final int MAX_ITEMS = 10_000;
  private static final JsonMapper MAPPER = JsonMapper.builder().build();
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SubscriberBatchService.class);

  /** A rejected item as stored in {@code subscriber_batch.rejected}. */
  public record Rejected(int index, String id, List<Map<String, String>> errors) {}

  private final JdbcTemplate jdbc;
  private final SubscriberService subscribers;

  public SubscriberBatchService(JdbcTemplate jdbc, SubscriberService subscribers) {
    this.jdbc = jdbc;
    this.subscribers = subscribers;
  }

  @Transactional
  public SubscriberBatch create(SubscriberBatchRequest req) {
    List<SubscriberCreate> items = req.getItems() == null ? List.of() : req.getItems();
    if (req.getItems() == null) {
      throw ApiProblem.invalid("items", "missing");
    }
    if (items.isEmpty()) {
      throw ApiProblem.invalid("items", "must hold at least one subscriber");
    }
    if (items.size() > MAX_ITEMS) {
      throw ApiProblem.invalid("items", items.size() + " items, at most " + MAX_ITEMS + " are allowed");
    }
    boolean atomic = Boolean.TRUE.equals(req.getAtomic());
    long t0 = System.nanoTime();
    Set<String> nodes = subscribers.nodeNames();
    Map<Integer, List<FieldError>> bad = new TreeMap<>();
    boolean onlyConflicts = true;
    // field checks; a policy shared by many items is checked (and later serialised) once
    Map<dev.mayfly.api.model.FirewallPolicy, List<FieldError>> policyErrors = new HashMap<>();
    Map<dev.mayfly.api.model.FirewallPolicy, String> policyJson = new HashMap<>();
    Map<String, List<FieldError>> compileErrors = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      SubscriberCreate c = items.get(i);
      List<FieldError> e = subscribers.validate(c, "items[" + i + "].", nodes, policyErrors);
      if (e.isEmpty() && c.getPolicy() != null) {
        // what the compiler refuses (as for a single create); a valid address does not change that
        String json = policyJson.computeIfAbsent(c.getPolicy(), PolicyMapper::toJson);
        List<FieldError> ce = compileErrors.computeIfAbsent(json,
            j -> subscribers.compileErrors(c.getPolicy(), j, c.getUeIp(), "", ""));
        String prefix = "items[" + i + "].policy.";
        e = ce.stream().map(f -> new FieldError(prefix + f.getField(), f.getMessage())).toList();
      }
      if (!e.isEmpty()) {
        bad.put(i, new ArrayList<>(e));
        onlyConflicts = false;
      }
    }
    long t1 = System.nanoTime();
    // duplicates inside the batch and against the table
    Set<String> ids = new HashSet<>();
    Set<String> ips = new HashSet<>();
    Set<String> atts = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      if (bad.containsKey(i)) {
        continue;
      }
      SubscriberCreate c = items.get(i);
      ids.add(c.getId());
      ips.add(c.getUeIp().strip());
      atts.add(c.getEdgeNode() + "/" + c.getAttachment());
    }
    Set<String> takenIds = new HashSet<>(jdbc.queryForList("SELECT id FROM subscriber WHERE id = ANY(?)", String.class,
        (Object) ids.toArray(String[]::new)));
    Map<String, String> takenIps = new HashMap<>();
    jdbc.query("SELECT ue_ip, id FROM subscriber WHERE ue_ip = ANY(?)", rs -> {
      takenIps.put(rs.getString(1), rs.getString(2));
    }, (Object) ips.toArray(String[]::new));
    Map<String, String> takenAtts = new HashMap<>();
    List<String> attNodes = new ArrayList<>();
    List<String> attNames = new ArrayList<>();
    for (String a : atts) {
      int slash = a.lastIndexOf('/');
      attNodes.add(a.substring(0, slash));
      attNames.add(a.substring(slash + 1));
    }
    // one query for all pairs, through the (edge_node, attachment) unique index
    jdbc.query("SELECT s.edge_node || '/' || s.attachment, s.id FROM subscriber s"
        + " JOIN unnest(?::text[], ?::text[]) AS w(node, att) ON s.edge_node = w.node AND s.attachment = w.att",
        rs -> {
          takenAtts.put(rs.getString(1), rs.getString(2));
        }, (Object) attNodes.toArray(String[]::new), (Object) attNames.toArray(String[]::new));
    Map<String, Integer> seenIds = new HashMap<>();
    Map<String, Integer> seenIps = new HashMap<>();
    Map<String, Integer> seenAtts = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      if (bad.containsKey(i)) {
        continue;
      }
      SubscriberCreate c = items.get(i);
      String p = "items[" + i + "].";
      List<FieldError> e = new ArrayList<>();
      if (takenIds.contains(c.getId())) {
        e.add(new FieldError(p + "id", "subscriber '" + c.getId() + "' already exists"));
      } else if (seenIds.containsKey(c.getId())) {
        e.add(new FieldError(p + "id", "duplicate of items[" + seenIds.get(c.getId()) + "].id"));
      }
      String ip = c.getUeIp().strip();
      if (takenIps.containsKey(ip)) {
        e.add(new FieldError(p + "ueIp", "UE address " + ip + " is in use by subscriber '" + takenIps.get(ip) + "'"));
      } else if (seenIps.containsKey(ip)) {
        e.add(new FieldError(p + "ueIp", "duplicate of items[" + seenIps.get(ip) + "].ueIp"));
      }
      String att = c.getEdgeNode() + "/" + c.getAttachment();
      if (takenAtts.containsKey(att)) {
        e.add(new FieldError(p + "attachment", "attachment " + c.getAttachment() + " on " + c.getEdgeNode()
            + " is in use by subscriber '" + takenAtts.get(att) + "'"));
      } else if (seenAtts.containsKey(att)) {
        e.add(new FieldError(p + "attachment", "duplicate of items[" + seenAtts.get(att) + "].attachment"));
      }
      if (e.isEmpty()) {
        seenIds.put(c.getId(), i);
        seenIps.put(ip, i);
        seenAtts.put(att, i);
      } else {
        bad.put(i, e);
      }
    }
    long t2 = System.nanoTime();
    if (atomic && !bad.isEmpty()) {
      List<FieldError> all = new ArrayList<>();
      bad.values().forEach(all::addAll);
      String detail = bad.size() + " of " + items.size() + " items are invalid; atomic batch: nothing was applied";
      throw onlyConflicts ? ApiProblem.conflict("already-exists", detail, all)
          : new ApiProblem(org.springframework.http.HttpStatus.UNPROCESSABLE_CONTENT, "validation", "Invalid request",
              detail, all);
    }
    UUID batchId = UUID.randomUUID();
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS); // as stored
    Timestamp t = Timestamp.from(now);
    List<Object[]> rows = new ArrayList<>();
    List<String> applied = new ArrayList<>();
    // the answer is built here rather than read back: nothing has a guest yet (the provisioner
    // hears of these rows only after the commit), so an item is PENDING, or NONE when it
    // gets no firewall (no policy and fail closed) - what view() would derive
    Map<Integer, SubscriberBatchItem> answer = new TreeMap<>();
    int none = 0;
    for (int i = 0; i < items.size(); i++) {
      if (bad.containsKey(i)) {
        continue;
      }
      SubscriberCreate c = items.get(i);
      rows.add(new Object[] {c.getId(), c.getUeIp().strip(), c.getEdgeNode(), c.getAttachment(), c.getFailOpen(),
          c.getPolicy() == null ? null : policyJson.computeIfAbsent(c.getPolicy(), PolicyMapper::toJson), batchId, i,
          t, t});
      applied.add(c.getId());
      boolean firewall = c.getPolicy() != null || subscribers.failOpen(c.getFailOpen());
      SubscriberBatchItem it = new SubscriberBatchItem(i, firewall ? SubscriberBatchItem.ResultEnum.PENDING
          : SubscriberBatchItem.ResultEnum.NONE);
      it.setId(c.getId());
      answer.put(i, it);
      none += firewall ? 0 : 1;
    }
    List<Rejected> rejected = new ArrayList<>();
    bad.forEach((i, e) -> rejected.add(new Rejected(i, items.get(i) == null ? null : items.get(i).getId(),
        e.stream().map(f -> Map.of("field", f.getField(), "message", f.getMessage())).toList())));
    jdbc.update("INSERT INTO subscriber_batch (id, atomic, total, rejected, start_time) VALUES (?, ?, ?, ?, ?)",
        batchId, atomic, items.size(), MAPPER.writeValueAsString(rejected), t);
    try {
      jdbc.batchUpdate("INSERT INTO subscriber (id, ue_ip, edge_node, attachment, fail_open, policy, policy_generation,"
          + " batch_id, batch_index, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)", rows);
    } catch (DuplicateKeyException e) {
      throw SubscriberService.raced(e);
    }
    subscribers.afterCommit(applied);
    long t3 = System.nanoTime();
    SubscriberBatch out = fresh(batchId, atomic, items.size(), rejected, answer, applied.size(), none, now);
    log.info("batch {}: {} items, {} accepted; validated in {} ms, checked against the table in {} ms, stored in {} ms,"
        + " answer built in {} ms", batchId, items.size(), applied.size(), ms(t1 - t0), ms(t2 - t1), ms(t3 - t2),
        ms(System.nanoTime() - t3));
    return out;
  }

  /** The view of a batch just stored (see {@link #view}: same rules). */
  private static SubscriberBatch fresh(UUID id, boolean atomic, int total, List<Rejected> rejected,
      Map<Integer, SubscriberBatchItem> items, int accepted, int none, Instant start) {
    for (Rejected r : rejected) {
      SubscriberBatchItem it = new SubscriberBatchItem(r.index(), SubscriberBatchItem.ResultEnum.REJECTED);
      it.setId(r.id());
      it.setErrors(r.errors().stream().map(e -> new FieldError(e.get("field"), e.get("message"))).toList());
      items.put(r.index(), it);
    }
    int pending = accepted - none;
    OperationState state = pending > 0 ? OperationState.RUNNING
        : rejected.isEmpty() ? OperationState.SUCCEEDED : OperationState.FAILED;
    SubscriberBatch out = new SubscriberBatch(id, state, atomic, total, accepted, rejected.size(), none, 0,
        OperationViews.time(start), new ArrayList<>(items.values()));
    out.setEndTime(pending == 0 ? OperationViews.time(Instant.now()) : null);
    return out;
  }

  private static long ms(long ns) {
    return ns / 1_000_000;
  }

  /**
   * The batch; {@code items} is all, failed (rejected and failed items only) or none (counts
   * only). Anything else is a 400 naming the parameter.
   */
  @Transactional
  public SubscriberBatch get(UUID id, String items) {
    if (!List.of("all", "failed", "none").contains(items)) {
      String msg = "must be one of all, failed, none (was '" + items + "')";
      throw new ApiProblem(HttpStatus.BAD_REQUEST, "bad-request", "Bad request", "items: " + msg,
          List.of(ApiProblem.fieldError("items", msg)));
    }
    return view(id, true, items);
  }

  private SubscriberBatch view(UUID id, boolean recordEnd, String which) {
    boolean listAll = which.equals("all");
    boolean listFailed = listAll || which.equals("failed");
    List<Map<String, Object>> b = jdbc.queryForList("SELECT atomic, total, rejected, start_time, end_time"
        + " FROM subscriber_batch WHERE id = ?", id);
    if (b.isEmpty()) {
      throw ApiProblem.notFound("subscriber batch", id.toString());
    }
    Map<String, Object> m = b.get(0);
    List<Rejected> rejected = MAPPER.readValue((String) m.get("rejected"), new TypeReference<List<Rejected>>() {});
    Map<Integer, SubscriberBatchItem> items = new TreeMap<>();
    for (Rejected r : rejected) {
      if (!listFailed) {
        break;
      }
      SubscriberBatchItem it = new SubscriberBatchItem(r.index(), SubscriberBatchItem.ResultEnum.REJECTED);
      it.setId(r.id());
      it.setErrors(r.errors().stream().map(e -> new FieldError(e.get("field"), e.get("message"))).toList());
      items.put(r.index(), it);
    }
    int running = 0;
    int failed = 0;
    int pending = 0;
    int accepted = 0;
    for (SubscriberService.Row r : jdbc.query(SubscriberService.ROW_SELECT + " WHERE s.batch_id = ?",
        SubscriberService::row, id)) {
      accepted++;
      FirewallState st = subscribers.status(r).getState();
      SubscriberBatchItem.ResultEnum res = switch (st) {
        case RUNNING -> SubscriberBatchItem.ResultEnum.RUNNING;
        case NONE -> SubscriberBatchItem.ResultEnum.NONE;
        case FAILED -> SubscriberBatchItem.ResultEnum.FAILED;
        default -> SubscriberBatchItem.ResultEnum.PENDING;
      };
      switch (res) {
        case RUNNING, NONE -> running++;
        case FAILED -> failed++;
        default -> pending++;
      }
      if (!listAll && !(listFailed && res == SubscriberBatchItem.ResultEnum.FAILED)) {
        continue;
      }
      SubscriberBatchItem it = new SubscriberBatchItem(r.batchIndex(), res);
      it.setId(r.id());
      if (res == SubscriberBatchItem.ResultEnum.FAILED && r.error() != null) {
        it.setErrors(List.of(new FieldError("items[" + r.batchIndex() + "]", r.error())));
      }
      items.put(r.batchIndex(), it);
    }
    OperationState state = pending > 0 ? OperationState.RUNNING
        : rejected.isEmpty() && failed == 0 ? OperationState.SUCCEEDED : OperationState.FAILED;
    Instant end = m.get("end_time") == null ? null : ((Timestamp) m.get("end_time")).toInstant();
    if (pending == 0 && end == null) {
      end = Instant.now();
      if (recordEnd) {
        jdbc.update("UPDATE subscriber_batch SET end_time = ? WHERE id = ? AND end_time IS NULL", Timestamp.from(end),
            id);
      }
    }
    SubscriberBatch out = new SubscriberBatch(id, state, (Boolean) m.get("atomic"), (Integer) m.get("total"), accepted,
        rejected.size(), running, failed, OperationViews.time(((Timestamp) m.get("start_time")).toInstant()),
        new ArrayList<>(items.values()));
    out.setEndTime(OperationViews.time(end));
    return out;
  }
}
