package dev.mayfly.controller.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.client.ApiException;
import dev.mayfly.client.model.EdgeNode;
import dev.mayfly.client.model.EdgeNodePage;
import dev.mayfly.client.model.InstanceState;
import dev.mayfly.client.model.NfInstanceCreate;
import dev.mayfly.client.model.NodeStatus;
import dev.mayfly.client.model.Operation;
import dev.mayfly.client.model.OperationState;
import dev.mayfly.client.model.OperationType;
import dev.mayfly.controller.reconcile.NodeLiveness;
import dev.mayfly.controller.support.ApiTestBase;
import dev.mayfly.southbound.v1.Heartbeat;
import dev.mayfly.southbound.v1.NodeLoad;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

class EdgeNodesApiTest extends ApiTestBase {

  @Autowired
  NodeLiveness liveness;

  @Test
  void emptyListIsAPageWithZeroTotal() throws Exception {
    EdgeNodePage p = nodesApi.listEdgeNodes(null, null, null);
    assertThat(p.getItems()).isEmpty();
    assertThat(p.getTotal()).isZero();
    assertThat(p.getPage()).isZero();
    assertThat(p.getSize()).isEqualTo(50);
    get("/edge-nodes");
  }

  @Test
  void registeredNodesAreListedByNameAndPaginated() throws Exception {
    registerNode("node-c");
    registerNode("node-a", 8, 512L << 20, Map.of("zone", "north"));
    registerNode("node-b");
    EdgeNodePage first = nodesApi.listEdgeNodes(0, 2, null);
    assertThat(first.getItems()).extracting(EdgeNode::getName).containsExactly("node-a", "node-b");
    assertThat(first.getTotal()).isEqualTo(3);
    EdgeNodePage second = nodesApi.listEdgeNodes(1, 2, null);
    assertThat(second.getItems()).extracting(EdgeNode::getName).containsExactly("node-c");
    assertThat(nodesApi.listEdgeNodes(5, 2, null).getItems()).isEmpty();

    EdgeNode a = nodesApi.getEdgeNode("node-a");
    assertThat(a.getId()).isEqualTo("node-a");
    assertThat(a.getStatus()).isEqualTo(NodeStatus.READY);
    assertThat(a.getCordoned()).isFalse();
    assertThat(a.getDriver()).isEqualTo("sandbox");
    assertThat(a.getCapabilities()).containsExactly("pause");
    assertThat(a.getDataPlaneAddress()).isEqualTo("127.0.0.1:7500");
    assertThat(a.getLabels()).containsEntry("zone", "north");
    assertThat(a.getCapacity().getGuestSlots()).isEqualTo(8);
    assertThat(a.getCapacity().getMemoryBytes()).isEqualTo(512L << 20);
    assertThat(a.getInstances()).isZero();
    assertThat(a.getLoad()).isNull();
    get("/edge-nodes?page=0&size=2");
    get("/edge-nodes/node-a");
  }

  @Test
  void heartbeatStoresLoad() throws Exception {
    registerNode("hb");
    agents.heartbeat("hb", Heartbeat.newBuilder().setLoad(NodeLoad.newBuilder().setGuestsRunning(3)
        .setGuestsTotal(4).setMemoryUsedBytes(100).setMemoryAvailableBytes(900).setLoad1(0.5).setPoolReady(7)
        .setPoolTarget(8).setBootP50Ms(1.5).setBootP99Ms(4.25)).build());
    EdgeNode n = nodesApi.getEdgeNode("hb");
    assertThat(n.getLoad().getGuestsRunning()).isEqualTo(3);
    assertThat(n.getLoad().getPoolReady()).isEqualTo(7);
    assertThat(n.getLoad().getBootP99Ms()).isEqualTo(4.25);
    get("/edge-nodes/hb");
  }

  @Test
  void unknownNodeIs404Problem() throws Exception {
    assertThatThrownBy(() -> nodesApi.getEdgeNode("ghost")).isInstanceOfSatisfying(ApiException.class, e -> {
      assertThat(e.getCode()).isEqualTo(404);
      assertThat(problemOf(e)).contains("ghost").contains("\"status\":404").doesNotContain("\"errors\"");
    });
    assertThat(call("POST", "/edge-nodes/ghost/cordon", null, null).statusCode()).isEqualTo(404);
    assertThat(call("POST", "/edge-nodes/ghost/uncordon", null, null).statusCode()).isEqualTo(404);
    assertThat(call("POST", "/edge-nodes/ghost/drain", null, null).statusCode()).isEqualTo(404);
  }

  @Test
  void cordonAndUncordonAreImmediateAndFilterable() throws Exception {
    registerNode("a");
    registerNode("b");
    assertThat(nodesApi.cordonEdgeNode("b").getStatus()).isEqualTo(NodeStatus.CORDONED);
    assertThat(nodesApi.listEdgeNodes(null, null, NodeStatus.CORDONED).getItems()).extracting(EdgeNode::getName)
        .containsExactly("b");
    assertThat(nodesApi.listEdgeNodes(null, null, NodeStatus.READY).getItems()).extracting(EdgeNode::getName)
        .containsExactly("a");
    // a cordoned node takes no new instance
    assertThatThrownBy(() -> instancesApi.createNfInstance(new NfInstanceCreate().nf("counter").node("b")))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.getCode()).isEqualTo(409);
          assertThat(problemOf(e)).contains("\"field\":\"node\"").contains("b: cordoned");
        });
    // re-registering keeps the cordon
    registerNode("b");
    assertThat(nodesApi.getEdgeNode("b").getStatus()).isEqualTo(NodeStatus.CORDONED);
    EdgeNode back = nodesApi.uncordonEdgeNode("b");
    assertThat(back.getStatus()).isEqualTo(NodeStatus.READY);
    assertThat(back.getCordoned()).isFalse();
    call("POST", "/edge-nodes/a/cordon", null, null);
    call("POST", "/edge-nodes/a/uncordon", null, null);
    get("/edge-nodes?status=READY");
  }

  @Test
  void drainMovesInstancesAndDestroysTheOldGuests() throws Exception {
    registerNode("src");
    String id1 = instancesApi.createNfInstance(new NfInstanceCreate().nf("counter").node("src")).getResource().getId();
    String id2 = instancesApi.createNfInstance(new NfInstanceCreate().nf("counter").node("src")).getResource().getId();
    reconciler.reconcileNow();
    String oldGuest = instancesApi.getNfInstance(java.util.UUID.fromString(id1)).getGuestId();
    assertThat(gateway.sentTo("src")).hasSize(2);
    registerNode("dst");

    var resp = call("POST", "/edge-nodes/src/drain", null, null);
    assertThat(resp.statusCode()).isEqualTo(202);
    assertThat(resp.headers().firstValue("Location")).get().asString().startsWith("/api/v1/operations/");
    Operation op = operationsApi.getOperation(java.util.UUID.fromString(resp.headers().firstValue("Location")
        .orElseThrow().substring("/api/v1/operations/".length())));
    assertThat(op.getType()).isEqualTo(OperationType.DRAIN);
    assertThat(op.getState()).isEqualTo(OperationState.SUCCEEDED);
    assertThat(op.getPhases()).extracting(p -> p.getName()).containsExactly("cordon", "replace");
    assertThat(nodesApi.getEdgeNode("src").getStatus()).isEqualTo(NodeStatus.DRAINING);

    var moved = instancesApi.getNfInstance(java.util.UUID.fromString(id1));
    assertThat(moved.getNode()).isEqualTo("dst");
    assertThat(moved.getGuestId()).isNotEqualTo(oldGuest);
    assertThat(moved.getGeneration()).isEqualTo(2L);
    assertThat(instancesApi.getNfInstance(java.util.UUID.fromString(id2)).getNode()).isEqualTo("dst");

    reconciler.reconcileNow();
    assertThat(gateway.sentTo("dst")).hasSize(2).allMatch(c -> c.hasCreate());
    assertThat(gateway.sentTo("src")).filteredOn(c -> c.hasDestroy()).extracting(c -> c.getGuestId())
        .contains(oldGuest);
    // the old node confirms: the left-over record goes away
    agents.commandResult("src", dev.mayfly.southbound.v1.CommandResult.newBuilder().setGuestId(oldGuest)
        .setGeneration(2).setOk(true).setState(dev.mayfly.southbound.v1.GuestState.DESTROYED).build());
    assertThat(jdbc.queryForObject("select count(*) from guest_cleanup where guest_id = ?", Long.class, oldGuest))
        .isZero();
    assertThat(nodesApi.uncordonEdgeNode("src").getStatus()).isEqualTo(NodeStatus.READY);
  }

  @Test
  void drainReportsInstancesThatCannotMove() throws Exception {
    registerNode("only");
    String id = instancesApi.createNfInstance(new NfInstanceCreate().nf("counter").node("only")).getResource().getId();
    Operation op = nodesApi.drainEdgeNode("only");
    assertThat(op.getState()).isEqualTo(OperationState.FAILED);
    assertThat(op.getError().getErrors()).singleElement().satisfies(f -> {
      assertThat(f.getField()).isEqualTo("instances[" + id + "]");
      assertThat(f.getMessage()).contains("cannot move");
    });
    assertThat(instancesApi.getNfInstance(java.util.UUID.fromString(id)).getNode()).isEqualTo("only");
    get("/operations/" + op.getId());
  }

  @Test
  void disconnectMakesNodeAndInstancesUnreachable() throws Exception {
    registerNode("flaky");
    String id = instancesApi.createNfInstance(new NfInstanceCreate().nf("counter").node("flaky")).getResource().getId();
    gateway.disconnect("flaky");
    agents.agentDisconnected("flaky", "connection reset");
    assertThat(nodesApi.getEdgeNode("flaky").getStatus()).isEqualTo(NodeStatus.UNREACHABLE);
    assertThat(instancesApi.getNfInstance(java.util.UUID.fromString(id)).getState())
        .isEqualTo(InstanceState.UNREACHABLE);
    assertThat(nodesApi.listEdgeNodes(null, null, NodeStatus.UNREACHABLE).getTotal()).isEqualTo(1);
    registerNode("flaky");
    assertThat(nodesApi.getEdgeNode("flaky").getStatus()).isEqualTo(NodeStatus.READY);
    assertThat(instancesApi.getNfInstance(java.util.UUID.fromString(id)).getState())
        .isEqualTo(InstanceState.PENDING);
  }

  @Test
  void missedHeartbeatsMakeANodeUnreachable() throws Exception {
    registerNode("quiet");
    registerNode("chatty");
    jdbc.update("update edge_node set last_seen = now() - interval '1 hour' where name = 'quiet'");
    liveness.check();
    assertThat(nodesApi.getEdgeNode("quiet").getStatus()).isEqualTo(NodeStatus.UNREACHABLE);
    assertThat(nodesApi.getEdgeNode("chatty").getStatus()).isEqualTo(NodeStatus.READY);
    // a heartbeat on a live connection brings it back
    agents.heartbeat("quiet", Heartbeat.newBuilder().setLoad(NodeLoad.newBuilder()).build());
    assertThat(nodesApi.getEdgeNode("quiet").getStatus()).isEqualTo(NodeStatus.READY);
  }

  @Test
  void metricsNeedAuthHealthDoesNot() throws Exception {
    registerNode("m1");
    liveness.check();
    var base = java.net.URI.create("http://127.0.0.1:" + port);
    var health = http.send(java.net.http.HttpRequest.newBuilder(base.resolve("/actuator/health")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("UP");
    var anon = http.send(java.net.http.HttpRequest.newBuilder(base.resolve("/actuator/prometheus")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(anon.statusCode()).isEqualTo(401);
    var prom = http.send(java.net.http.HttpRequest.newBuilder(base.resolve("/actuator/prometheus"))
        .header("Authorization", basic("admin", PASSWORD)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(prom.statusCode()).isEqualTo(200);
    assertThat(prom.body()).contains("mayfly_nodes{status=\"READY\"} 1.0");
  }
}
