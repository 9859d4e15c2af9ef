package dev.mayfly.controller.instance;

import dev.mayfly.controller.node.EdgeNodeEntity;
import dev.mayfly.controller.node.EdgeNodeRepository;
import dev.mayfly.controller.placement.ClusterView;
import dev.mayfly.controller.placement.NodeView;
import jakarta.persistence.EntityManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Builds the placement {@link ClusterView} from the database, and serialises placements
 * (a transaction-scoped PostgreSQL advisory lock) so two concurrent creates cannot both
 * take a node's last slot.
 */
@Component
public class ClusterViews {

  private static final long PLACEMENT_LOCK = 0x4d41_5946_4c59L; // "MAYFLY"

  private final EdgeNodeRepository nodes;
  private final NfInstanceRepository instances;
  private final EntityManager em;

  public ClusterViews(EdgeNodeRepository nodes, NfInstanceRepository instances, EntityManager em) {
    this.nodes = nodes;
    this.instances = instances;
    this.em = em;
  }

  /** Takes the placement lock (until the transaction ends) and returns the current view. */
  @Transactional(propagation = Propagation.MANDATORY)
  public ClusterView lockAndSnapshot() {
    em.createNativeQuery("select pg_advisory_xact_lock(" + PLACEMENT_LOCK + ")").getSingleResult();
    return snapshot();
  }

  public ClusterView snapshot() {
    Map<String, long[]> alloc = new HashMap<>();
    for (Object[] row : instances.allocation()) {
      alloc.put((String) row[0], new long[] {((Number) row[1]).longValue(),
          row[2] == null ? 0 : ((Number) row[2]).longValue()});
    }
    for (Object[] row : instances.migratingIn()) { // live migrations under way count on their target
      long[] a = alloc.computeIfAbsent((String) row[0], k -> new long[2]);
      a[0] += ((Number) row[1]).longValue();
      a[1] += row[2] == null ? 0 : ((Number) row[2]).longValue();
    }
    List<NodeView> views = new ArrayList<>();
    for (EdgeNodeEntity n : nodes.findAll()) {
      long[] a = alloc.getOrDefault(n.name(), new long[2]);
      views.add(new NodeView(n.name(), n.reachable(), n.cordoned(), n.cpus(), n.memoryBytes(), n.guestSlots(),
          (int) a[0], a[1], n.labels()));
    }
    return new ClusterView(views);
  }

  /** Instances per node (for the EdgeNode view). */
  public Map<String, Integer> instanceCounts() {
    Map<String, Integer> out = new HashMap<>();
    for (Object[] row : instances.allocation()) {
      out.put((String) row[0], ((Number) row[1]).intValue());
    }
    return out;
  }
}
