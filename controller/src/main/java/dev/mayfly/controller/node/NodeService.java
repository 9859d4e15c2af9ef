package dev.mayfly.controller.node;

import dev.mayfly.api.model.FieldError;
import dev.mayfly.controller.instance.ClusterViews;
import dev.mayfly.controller.instance.GuestCleanupEntity;
import dev.mayfly.controller.instance.GuestCleanupRepository;
import dev.mayfly.controller.instance.NfInstanceEntity;
import dev.mayfly.controller.instance.NfInstanceRepository;
import dev.mayfly.controller.operation.OperationEntity;
import dev.mayfly.controller.operation.OperationEntity.Phase;
import dev.mayfly.controller.operation.OperationEntity.ResourceType;
import dev.mayfly.controller.operation.OperationEntity.State;
import dev.mayfly.controller.operation.OperationEntity.Type;
import dev.mayfly.controller.operation.OperationService;
import dev.mayfly.controller.placement.ClusterView;
import dev.mayfly.controller.placement.Placer;
import dev.mayfly.controller.placement.Plan;
import dev.mayfly.controller.placement.PlacementRequest;
import dev.mayfly.controller.placement.Strategy;
import dev.mayfly.controller.web.ApiProblem;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Operator actions on edge nodes: list / get, cordon, uncordon, drain. */
@Service
public class NodeService {

  private final EdgeNodeRepository repo;
  private final NfInstanceRepository instances;
  private final GuestCleanupRepository cleanups;
  private final ClusterViews clusterViews;
  private final Placer placer;
  private final OperationService operations;

  public NodeService(EdgeNodeRepository repo, NfInstanceRepository instances, GuestCleanupRepository cleanups,
      ClusterViews clusterViews, Placer placer, OperationService operations) {
    this.repo = repo;
    this.instances = instances;
    this.cleanups = cleanups;
    this.clusterViews = clusterViews;
    this.placer = placer;
    this.operations = operations;
  }

  @Transactional(readOnly = true)
  public Page<EdgeNodeEntity> list(EdgeNodeEntity.Status status, Pageable page) {
    return status == null ? repo.findAll(page) : repo.findByStatus(status.name(), page);
  }

  @Transactional(readOnly = true)
  public EdgeNodeEntity get(String name) {
    return repo.findById(name).orElseThrow(() -> ApiProblem.notFound("edge node", name));
  }

  @Transactional
  public EdgeNodeEntity cordon(String name) {
    EdgeNodeEntity n = repo.lock(name).orElseThrow(() -> ApiProblem.notFound("edge node", name));
    n.cordon();
    return n;
  }

  @Transactional
  public EdgeNodeEntity uncordon(String name) {
    EdgeNodeEntity n = repo.lock(name).orElseThrow(() -> ApiProblem.notFound("edge node", name));
    n.uncordon();
    return n;
  }

  /**
   * Cordons the node and re-places each of its running instances elsewhere (new guest id,
   * next generation; the old guest is queued for destruction on this node). The operation
   * is final when this returns: SUCCEEDED if every instance found a new node, FAILED
   * listing the ones that could not move. The moved instances boot through the
   * reconciler like new ones.
   */
  @Transactional
  public OperationEntity drain(String name) {
    EdgeNodeEntity n = repo.lock(name).orElseThrow(() -> ApiProblem.notFound("edge node", name));
    Instant now = Instant.now();
    n.drain();
    OperationEntity op = operations.start(Type.DRAIN, ResourceType.EDGE_NODE, name, now);
    op.addPhase(new Phase("cordon", State.SUCCEEDED, now, 0.0, null));
    long t0 = System.nanoTime();
    ClusterView view = clusterViews.lockAndSnapshot();
    List<FieldError> stuck = new ArrayList<>();
    int moved = 0;
    int total = 0;
    for (NfInstanceEntity inst : instances.lockOnNode(name)) {
      if (inst.desired() != NfInstanceEntity.Desired.RUNNING) {
        continue;
      }
      total++;
      Strategy s = inst.strategy() == null ? null : Strategy.valueOf(inst.strategy());
      Plan plan = placer.place(view,
          new PlacementRequest(inst.memoryBytes(), inst.constraintLabels(), s, null, Set.of(name)));
      if (!plan.feasible()) {
        StringBuilder why = new StringBuilder("cannot move: ");
        plan.rejections().forEach((node, reason) -> {
          if (!node.equals(name)) {
            why.append(node).append(": ").append(reason).append("; ");
          }
        });
        if (plan.rejections().size() <= 1) {
          why.append("no other edge node");
        }
        stuck.add(ApiProblem.fieldError("instances[" + inst.id() + "]", why.toString().replaceAll("; $", "")));
        continue;
      }
      if (inst.dispatchedGeneration() > 0) {
        cleanups.save(new GuestCleanupEntity(inst.guestId(), name, inst.generation(), now));
      }
      inst.moveTo(plan.node(), now);
      view = view.withPlacement(plan.node(), inst.memoryBytes());
      moved++;
    }
    Instant end = Instant.now();
    op.addPhase(new Phase("replace", stuck.isEmpty() ? State.SUCCEEDED : State.FAILED, now,
        (System.nanoTime() - t0) / 1e6, "moved " + moved + " of " + total + " instances"));
    if (stuck.isEmpty()) {
      operations.succeed(op, end);
    } else {
      operations.fail(op, end, 409, "Some instances cannot move",
          stuck.size() + " of " + total + " instances on " + name + " fit on no other node", stuck);
    }
    return op;
  }
}
