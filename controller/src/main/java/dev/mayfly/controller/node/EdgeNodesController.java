package dev.mayfly.controller.node;

import dev.mayfly.api.model.Capacity;
import dev.mayfly.api.model.EdgeNode;
import dev.mayfly.api.model.EdgeNodePage;
import dev.mayfly.api.model.NodeLoad;
import dev.mayfly.api.model.NodeStatus;
import dev.mayfly.api.model.Operation;
import dev.mayfly.api.server.EdgeNodesApi;
import dev.mayfly.controller.instance.ClusterViews;
import dev.mayfly.controller.operation.OperationViews;
import dev.mayfly.controller.reconcile.ReconcileTrigger;
import dev.mayfly.controller.web.Pages;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Sort;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class EdgeNodesController implements EdgeNodesApi {

  private final NodeService nodes;
  private final ClusterViews clusterViews;
  private final ReconcileTrigger reconcile;

  public EdgeNodesController(NodeService nodes, ClusterViews clusterViews, ReconcileTrigger reconcile) {
    this.nodes = nodes;
    this.clusterViews = clusterViews;
    this.reconcile = reconcile;
  }

  @Override
  public ResponseEntity<EdgeNodePage> listEdgeNodes(Integer page, Integer size, NodeStatus status) {
    Page<EdgeNodeEntity> p = nodes.list(status == null ? null : EdgeNodeEntity.Status.valueOf(status.getValue()),
        Pages.of(page, size, Sort.by("name")));
    Map<String, Integer> counts = clusterViews.instanceCounts();
    return ResponseEntity.ok(new EdgeNodePage(p.map(n -> toApi(n, counts)).getContent(), p.getNumber(), p.getSize(),
        p.getTotalElements()));
  }

  @Override
  public ResponseEntity<EdgeNode> getEdgeNode(String nodeId) {
    return ResponseEntity.ok(toApi(nodes.get(nodeId), clusterViews.instanceCounts()));
  }

  @Override
  public ResponseEntity<EdgeNode> cordonEdgeNode(String nodeId) {
    return ResponseEntity.ok(toApi(nodes.cordon(nodeId), clusterViews.instanceCounts()));
  }

  @Override
  public ResponseEntity<EdgeNode> uncordonEdgeNode(String nodeId) {
    return ResponseEntity.ok(toApi(nodes.uncordon(nodeId), clusterViews.instanceCounts()));
  }

  @Override
  public ResponseEntity<Operation> drainEdgeNode(String nodeId) {
    var op = nodes.drain(nodeId);
    reconcile.kick();
    return OperationViews.accepted(op);
  }

  static EdgeNode toApi(EdgeNodeEntity n, Map<String, Integer> counts) {
    EdgeNode e = new EdgeNode(n.name(), n.name(), NodeStatus.fromValue(n.status().name()), n.cordoned(),
        new LinkedHashMap<>(n.labels()), new Capacity(n.cpus(), n.memoryBytes(), n.guestSlots()),
        counts.getOrDefault(n.name(), 0));
    e.setDriver(n.driver());
    e.setAgentVersion(n.agentVersion());
    if (n.dataPlaneAddress() != null && !n.dataPlaneAddress().isEmpty()) {
      e.setDataPlaneAddress(n.dataPlaneAddress());
    }
    e.setCapabilities(new ArrayList<>(n.capabilities()));
    if (n.hasLoad()) {
      NodeLoad l = new NodeLoad();
      l.setGuestsRunning(n.loadGuestsRunning());
      l.setGuestsTotal(n.loadGuestsTotal());
      l.setMemoryUsedBytes(n.loadMemoryUsed());
      l.setMemoryAvailableBytes(n.loadMemoryAvailable());
      l.setLoad1(n.loadLoad1());
      l.setPoolReady(n.loadPoolReady());
      l.setPoolTarget(n.loadPoolTarget());
      l.setBootP50Ms(n.loadBootP50Ms());
      l.setBootP99Ms(n.loadBootP99Ms());
      e.setLoad(l);
    }
    e.setRegisteredAt(OperationViews.time(n.registeredAt()));
    e.setLastSeen(OperationViews.time(n.lastSeen()));
    return e;
  }
}
