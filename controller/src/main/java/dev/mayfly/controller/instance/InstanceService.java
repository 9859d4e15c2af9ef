package dev.mayfly.controller.instance;

import dev.mayfly.api.model.FieldError;
import dev.mayfly.api.model.NfInstance;
import dev.mayfly.api.model.NfInstanceCreate;
import dev.mayfly.api.model.PlacementConstraints;
import dev.mayfly.api.model.PlacementStrategy;
import dev.mayfly.api.model.PortAttachment;
import dev.mayfly.controller.catalog.CatalogService;
import dev.mayfly.controller.catalog.NfDescriptorEntity;
import dev.mayfly.controller.catalog.NfDescriptorRepository;
import dev.mayfly.controller.config.Json;
import dev.mayfly.controller.node.EdgeNodeRepository;
import dev.mayfly.controller.operation.OperationEntity;
import dev.mayfly.controller.operation.OperationEntity.Phase;
import dev.mayfly.controller.operation.OperationEntity.ResourceType;
import dev.mayfly.controller.operation.OperationEntity.State;
import dev.mayfly.controller.operation.OperationEntity.Type;
import dev.mayfly.controller.operation.OperationService;
import dev.mayfly.controller.operation.OperationViews;
import dev.mayfly.controller.placement.ClusterView;
import dev.mayfly.controller.placement.Placer;
import dev.mayfly.controller.placement.Plan;
import dev.mayfly.controller.placement.PlacementRequest;
import dev.mayfly.controller.placement.Strategy;
import dev.mayfly.controller.web.ApiProblem;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Create and delete NF instances. Creation places the instance inside the request (409
 * with one reason per node when nothing fits) and records it with its INSTANTIATE
 * operation in one transaction; the {@code dev.mayfly.controller.reconcile.Reconciler}
 * then sends the command.
 */
@Service
public class InstanceService {

  private final NfInstanceRepository repo;
  private final NfDescriptorRepository descriptors;
  private final EdgeNodeRepository nodes;
  private final ClusterViews clusterViews;
  private final Placer placer;
  private final OperationService operations;

  public InstanceService(NfInstanceRepository repo, NfDescriptorRepository descriptors, EdgeNodeRepository nodes,
      ClusterViews clusterViews, Placer placer, OperationService operations) {
    this.repo = repo;
    this.descriptors = descriptors;
    this.nodes = nodes;
    this.clusterViews = clusterViews;
    this.placer = placer;
    this.operations = operations;
  }

  @Transactional
  public OperationEntity create(NfInstanceCreate req) {
    NfDescriptorEntity desc = descriptors.findById(req.getNf())
        .orElseThrow(() -> ApiProblem.invalid("nf", "no network function named '" + req.getNf() + "' in the catalog"));
    List<PortAttachment> ports = req.getPorts() == null ? List.of() : req.getPorts();
    List<FieldError> errs = new ArrayList<>();
    List<String> known = CatalogService.portNames(desc);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < ports.size(); i++) {
      PortAttachment p = ports.get(i);
      String f = "ports[" + i + "]";
      if (p == null) {
        errs.add(ApiProblem.fieldError(f, "must not be null"));
        continue;
      }
      if (!known.contains(p.getName())) {
        errs.add(ApiProblem.fieldError(f + ".name", "'" + p.getName() + "' is not a port of " + desc.name()
            + " (ports: " + String.join(", ", known) + ")"));
      } else if (!seen.add(p.getName())) {
        errs.add(ApiProblem.fieldError(f + ".name", "port '" + p.getName() + "' attached twice"));
      }
      if ((p.getBridge() == null) == (p.getXconnect() == null)) {
        errs.add(ApiProblem.fieldError(f, "exactly one of bridge or xconnect is required"));
      }
    }
    if (!errs.isEmpty()) {
      throw ApiProblem.invalid(errs);
    }
    if (req.getNode() != null && !nodes.existsById(req.getNode())) {
      throw ApiProblem.invalid("node", "no edge node named '" + req.getNode() + "'");
    }
    PlacementConstraints c = req.getConstraints();
    Map<String, String> wantLabels = c == null || c.getLabels() == null ? Map.of() : c.getLabels();
    Strategy strategy = c == null || c.getStrategy() == null ? null : Strategy.valueOf(c.getStrategy().getValue());
    long memory = desc.memoryMiB() * 1024L * 1024L;

    Instant start = Instant.now();
    long t0 = System.nanoTime();
    ClusterView view = clusterViews.lockAndSnapshot();
    Plan plan = placer.place(view, new PlacementRequest(memory, wantLabels, strategy, req.getNode(), Set.of()));
    double placementMs = (System.nanoTime() - t0) / 1e6;
    if (!plan.feasible()) {
      throw noFeasibleNode(plan, req.getNode() != null ? "node" : "constraints");
    }
    Instant now = Instant.now();
    UUID id = UUID.randomUUID();
    NfInstanceEntity inst = new NfInstanceEntity(id, req.getName(), desc.name(), desc.version(), plan.node(), memory,
        wantLabels, strategy == null ? null : strategy.name(), Json.write(ports.stream().map(InstanceService::portMap).toList()),
        req.getLabels() == null ? Map.of() : req.getLabels(), now);
    OperationEntity op = operations.start(Type.INSTANTIATE, ResourceType.NF_INSTANCE, id.toString(), start);
    op.addPhase(new Phase("placement", State.SUCCEEDED, start, placementMs,
        plan.node() + " (" + (strategy != null ? strategy : placer.defaultStrategy()) + ")"));
    inst.operation(op.id());
    repo.save(inst);
    return op;
  }

  public static ApiProblem noFeasibleNode(Plan plan, String field) {
    List<FieldError> errs = new ArrayList<>();
    plan.rejections().forEach((node, why) -> errs.add(ApiProblem.fieldError(field, node + ": " + why)));
    if (errs.isEmpty()) {
      errs.add(ApiProblem.fieldError(field, "no edge node is registered"));
    }
    return ApiProblem.conflict("no-feasible-node", "no edge node can take this instance", errs);
  }

  private static Map<String, String> portMap(PortAttachment p) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("name", p.getName());
    if (p.getBridge() != null) {
      m.put("bridge", p.getBridge());
    }
    if (p.getXconnect() != null) {
      m.put("xconnect", p.getXconnect());
    }
    if (p.getMac() != null) {
      m.put("mac", p.getMac());
    }
    return m;
  }

  public static List<PortAttachment> ports(NfInstanceEntity e) {
    List<PortAttachment> out = new ArrayList<>();
    for (Map<?, ?> m : Json.readList(e.portsJson(), Map.class)) {
      PortAttachment p = new PortAttachment(String.valueOf(m.get("name")));
      p.setBridge((String) m.get("bridge"));
      p.setXconnect((String) m.get("xconnect"));
      p.setMac((String) m.get("mac"));
      out.add(p);
    }
    return out;
  }

  /**
   * Starts TERMINATE. An instance no command was ever sent for is removed at once; else
   * the desired state becomes DELETED and the record goes when the agent confirms. A
   * still-running INSTANTIATE is marked ROLLED_BACK (superseded). Deleting an instance
   * that is already being deleted returns the running TERMINATE operation.
   */
  @Transactional
  public OperationEntity delete(UUID id) {
    NfInstanceEntity inst = repo.lock(id).orElseThrow(() -> ApiProblem.notFound("NF instance", id.toString()));
    OperationEntity current = operations.find(inst.operationId());
    if (inst.desired() == NfInstanceEntity.Desired.DELETED && current != null && current.type() == Type.TERMINATE
        && !current.state().isFinal()) {
      return current;
    }
    if (repo.activeMigrations(inst.guestId()) > 0) {
      throw ApiProblem.conflict("migration-in-progress", "NF instance " + id + " is being live-migrated;"
          + " delete it when the MIGRATE operation has finished",
          List.of(ApiProblem.fieldError("instanceId", "a live migration of this instance is in progress")));
    }
    Instant now = Instant.now();
    OperationEntity op = operations.start(Type.TERMINATE, ResourceType.NF_INSTANCE, id.toString(), now);
    if (current != null && current.type() == Type.INSTANTIATE && !current.state().isFinal()) {
      operations.rollBack(current, now, "superseded by TERMINATE operation " + op.id());
    }
    if (inst.nodeName() == null || inst.dispatchedGeneration() == 0) {
      op.addPhase(new Phase("destroy", State.SUCCEEDED, now, 0.0, "no guest was ever requested; record removed"));
      repo.delete(inst);
      operations.succeed(op, now);
      return op;
    }
    inst.desire(NfInstanceEntity.Desired.DELETED, now);
    inst.show(NfInstanceEntity.Observed.TERMINATING, now);
    inst.operation(op.id());
    return op;
  }

  @Transactional(readOnly = true)
  public NfInstanceEntity get(UUID id) {
    return repo.findById(id).orElseThrow(() -> ApiProblem.notFound("NF instance", id.toString()));
  }

  @Transactional(readOnly = true)
  public Page<NfInstanceEntity> list(String nf, String node, String state, Pageable page) {
    return repo.search(nf, node, state, page);
  }

  public static NfInstance toApi(NfInstanceEntity e) {
    NfInstance i = new NfInstance(e.id(), e.nfName(), dev.mayfly.api.model.DesiredState.fromValue(e.desired().name()),
        dev.mayfly.api.model.InstanceState.fromValue(e.observed().name()), e.generation(),
        OperationViews.time(e.createdAt()));
    i.setName(e.name());
    i.setNfVersion(e.nfVersion());
    i.setNode(e.nodeName());
    i.setGuestId(e.guestId());
    i.setObservedGeneration(e.observedGeneration());
    PlacementConstraints c = new PlacementConstraints();
    c.setLabels(new LinkedHashMap<>(e.constraintLabels()));
    if (e.strategy() != null) {
      c.setStrategy(PlacementStrategy.fromValue(e.strategy()));
    }
    i.setConstraints(c);
    i.setPorts(ports(e));
    i.setLabels(new LinkedHashMap<>(e.labels()));
    i.setError(e.lastError());
    i.setUpdatedAt(OperationViews.time(e.updatedAt()));
    return i;
  }
}
