package dev.mayfly.controller.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.client.ApiException;
import dev.mayfly.client.ApiResponse;
import dev.mayfly.client.model.InstanceState;
import dev.mayfly.client.model.NfInstance;
import dev.mayfly.client.model.NfInstanceCreate;
import dev.mayfly.client.model.NfInstancePage;
import dev.mayfly.client.model.Operation;
import dev.mayfly.client.model.OperationPhase;
import dev.mayfly.client.model.OperationState;
import dev.mayfly.client.model.OperationType;
import dev.mayfly.client.model.PlacementConstraints;
import dev.mayfly.client.model.PlacementStrategy;
import dev.mayfly.client.model.PortAttachment;
import dev.mayfly.client.model.ResourceType;
import dev.mayfly.controller.support.ApiTestBase;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestState;
import dev.mayfly.southbound.v1.Timing;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class NfInstancesApiTest extends ApiTestBase {

  private Operation create(NfInstanceCreate c) throws ApiException {
    return instancesApi.createNfInstance(c);
  }

  private static UUID idOf(Operation op) {
    return UUID.fromString(op.getResource().getId());
  }

  private Command onlyCommandTo(String node) {
    reconciler.reconcileNow();
    List<Command> cmds = gateway.sentTo(node);
    assertThat(cmds).hasSize(1);
    return cmds.get(0);
  }

  @Test
  void createPlacesDispatchesAndSucceedsWhenTheAgentReportsRunning() throws Exception {
    registerNode("edge-1");
    ApiResponse<Operation> resp = instancesApi.createNfInstanceWithHttpInfo(new NfInstanceCreate().nf("passthrough")
        .name("fw-1").node("edge-1").labels(Map.of("subscriber", "s1"))
        .ports(List.of(new PortAttachment().name("access").xconnect("ue1"), new PortAttachment().name("core")
            .bridge("br-core").mac("02:00:00:00:00:01"))));
    assertThat(resp.getStatusCode()).isEqualTo(202);
    Operation op = resp.getData();
    assertThat(resp.getHeaders().get("location")).containsExactly("/api/v1/operations/" + op.getId());
    assertThat(op.getType()).isEqualTo(OperationType.INSTANTIATE);
    assertThat(op.getState()).isEqualTo(OperationState.RUNNING);
    assertThat(op.getResource().getType()).isEqualTo(ResourceType.NF_INSTANCE);
    assertThat(op.getPhases()).extracting(OperationPhase::getName).containsExactly("placement");
    assertThat(op.getPhases().get(0).getDetail()).startsWith("edge-1");

    NfInstance inst = instancesApi.getNfInstance(idOf(op));
    assertThat(inst.getName()).isEqualTo("fw-1");
    assertThat(inst.getNf()).isEqualTo("passthrough");
    assertThat(inst.getNfVersion()).isEqualTo("1.0.0");
    assertThat(inst.getNode()).isEqualTo("edge-1");
    assertThat(inst.getDesiredState()).isEqualTo(dev.mayfly.client.model.DesiredState.RUNNING);
    assertThat(inst.getState()).isEqualTo(InstanceState.PENDING);
    assertThat(inst.getGeneration()).isEqualTo(1L);
    assertThat(inst.getPorts()).hasSize(2);

    Command cmd = onlyCommandTo("edge-1");
    assertThat(cmd.getGuestId()).isEqualTo(inst.getGuestId());
    assertThat(cmd.getGeneration()).isEqualTo(1);
    assertThat(cmd.hasCreate()).isTrue();
    var spec = cmd.getCreate().getSpec();
    assertThat(spec.getNfType()).isEqualTo("passthrough");
    assertThat(spec.getClickConfig()).contains("FromDevice(access)");
    assertThat(spec.getMemoryBytes()).isEqualTo(8L << 20);
    assertThat(spec.getPidsMax()).isEqualTo(4);
    assertThat(spec.getLabelsMap()).containsEntry("subscriber", "s1").containsKey("mayfly.instance");
    assertThat(spec.getPortsList()).extracting(p -> p.getName() + "/" + p.getXconnect() + p.getBridge())
        .containsExactly("access/ue1", "core/br-core");
    assertThat(spec.getPorts(1).getMac()).isEqualTo("02:00:00:00:00:01");
    // resending is not due yet: one command per generation
    reconciler.reconcileNow();
    assertThat(gateway.sentTo("edge-1")).hasSize(1);

    agents.commandResult("edge-1", CommandResult.newBuilder().setCommandId(cmd.getCommandId())
        .setGuestId(cmd.getGuestId()).setGeneration(1).setOk(true).setState(GuestState.RUNNING)
        .addTimings(Timing.newBuilder().setPhase("pool_take").setMillis(0.2))
        .addTimings(Timing.newBuilder().setPhase("config").setMillis(1.3)).build());

    Operation done = operationsApi.getOperation(op.getId());
    assertThat(done.getState()).isEqualTo(OperationState.SUCCEEDED);
    assertThat(done.getPhases()).extracting(OperationPhase::getName)
        .containsExactly("placement", "dispatch", "boot", "pool_take", "config");
    assertThat(done.getPhases()).allMatch(p -> p.getState() == OperationState.SUCCEEDED);
    assertThat(done.getPhases().get(4).getDurationMs()).isEqualTo(1.3);
    assertThat(done.getStateEnteredTime()).isAfterOrEqualTo(done.getStartTime());
    assertThat(done.getError()).isNull();
    NfInstance running = instancesApi.getNfInstance(idOf(op));
    assertThat(running.getState()).isEqualTo(InstanceState.RUNNING);
    assertThat(running.getObservedGeneration()).isEqualTo(1L);
    assertThat(nodesApi.getEdgeNode("edge-1").getInstances()).isEqualTo(1);
    get("/operations/" + op.getId());
    get("/nf-instances/" + op.getResource().getId());
  }

  @Test
  void agentErrorFailsTheOperationWithItsMessage() throws Exception {
    registerNode("edge-1");
    Operation op = create(new NfInstanceCreate().nf("counter"));
    Command cmd = onlyCommandTo("edge-1");
    agents.commandResult("edge-1", CommandResult.newBuilder().setGuestId(cmd.getGuestId()).setGeneration(1)
        .setOk(false).setErrorCode("CONFIG_REJECTED").setErrorMessage("config:12: unknown element class 'Foo'")
        .setState(GuestState.FAILED).build());
    Operation failed = operationsApi.getOperation(op.getId());
    assertThat(failed.getState()).isEqualTo(OperationState.FAILED);
    assertThat(failed.getError().getStatus()).isEqualTo(422);
    assertThat(failed.getError().getDetail()).isEqualTo("config:12: unknown element class 'Foo'");
    assertThat(failed.getError().getErrors()).singleElement()
        .satisfies(f -> assertThat(f.getField()).isEqualTo("clickConfig"));
    assertThat(failed.getPhases()).filteredOn(p -> p.getName().equals("boot"))
        .allMatch(p -> p.getState() == OperationState.FAILED);
    NfInstance inst = instancesApi.getNfInstance(idOf(op));
    assertThat(inst.getState()).isEqualTo(InstanceState.FAILED);
    assertThat(inst.getError()).contains("config:12");
    // a failed generation is not resent
    reconciler.reconcileNow();
    assertThat(gateway.sentTo("edge-1")).hasSize(1);
    get("/operations/" + op.getId());
  }

  @Test
  void noNodeMeans409WithAReasonPerNodeAndNothingWritten() throws Exception {
    assertThatThrownBy(() -> create(new NfInstanceCreate().nf("counter")))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.getCode()).isEqualTo(409);
          assertThat(problemOf(e)).contains("no-feasible-node").contains("no edge node is registered");
        });
    registerNode("n1", 4, 1L << 30, Map.of("zone", "a"));
    registerNode("n2", 4, 1L << 30, Map.of("zone", "b"));
    var r = call("POST", "/nf-instances", "application/json",
        "{\"nf\":\"counter\",\"constraints\":{\"labels\":{\"zone\":\"c\"}}}");
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.body()).contains("n1: label zone=c not matched (has a)").contains("n2: label zone=c not matched");
    assertThat(jdbc.queryForObject("select count(*) from nf_instance", Long.class)).isZero();
    assertThat(jdbc.queryForObject("select count(*) from operation", Long.class)).isZero();
  }

  @Test
  void constraintsAndStrategiesChooseTheNode() throws Exception {
    registerNode("n1", 4, 1L << 30, Map.of("zone", "a"));
    registerNode("n2", 4, 1L << 30, Map.of("zone", "b"));
    Operation inB = create(new NfInstanceCreate().nf("counter")
        .constraints(new PlacementConstraints().labels(Map.of("zone", "b"))));
    assertThat(instancesApi.getNfInstance(idOf(inB)).getNode()).isEqualTo("n2");
    // default SPREAD: the emptier node
    Operation spread = create(new NfInstanceCreate().nf("counter"));
    assertThat(instancesApi.getNfInstance(idOf(spread)).getNode()).isEqualTo("n1");
    // BINPACK hint: n1 and n2 both hold one; ties go to the first name, then it keeps filling it
    Operation bp1 = create(new NfInstanceCreate().nf("counter")
        .constraints(new PlacementConstraints().strategy(PlacementStrategy.BINPACK)));
    Operation bp2 = create(new NfInstanceCreate().nf("counter")
        .constraints(new PlacementConstraints().strategy(PlacementStrategy.BINPACK)));
    String first = instancesApi.getNfInstance(idOf(bp1)).getNode();
    assertThat(instancesApi.getNfInstance(idOf(bp2)).getNode()).isEqualTo(first);
    NfInstance shown = instancesApi.getNfInstance(idOf(bp2));
    assertThat(shown.getConstraints().getStrategy()).isEqualTo(PlacementStrategy.BINPACK);
  }

  @Test
  void capacityIsEnforced() throws Exception {
    registerNode("tiny", 1, 1L << 30, Map.of());
    create(new NfInstanceCreate().nf("counter"));
    var r = call("POST", "/nf-instances", "application/json", "{\"nf\":\"counter\"}");
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.body()).contains("tiny: no free guest slot (1/1)");
  }

  @Test
  void concurrentCreatesNeverOverfillANode() throws Exception {
    registerNode("three", 3, 1L << 30, Map.of());
    var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> call("POST", "/nf-instances", "application/json", "{\"nf\":\"counter\"}")
            .statusCode()));
      }
      List<Integer> codes = new java.util.ArrayList<>();
      for (var f : results) {
        codes.add(f.get());
      }
      assertThat(codes).filteredOn(c -> c == 202).hasSize(3);
      assertThat(codes).filteredOn(c -> c == 409).hasSize(5);
    } finally {
      pool.shutdownNow();
    }
    assertThat(jdbc.queryForObject("select count(*) from nf_instance where node_name = 'three'", Long.class))
        .isEqualTo(3);
  }

  @Test
  void listFiltersAndPaginates() throws Exception {
    registerNode("a");
    registerNode("b");
    for (int i = 0; i < 3; i++) {
      create(new NfInstanceCreate().nf("counter").node("a"));
    }
    create(new NfInstanceCreate().nf("passthrough").node("b"));
    NfInstancePage all = instancesApi.listNfInstances(null, null, null, null, null);
    assertThat(all.getTotal()).isEqualTo(4);
    assertThat(instancesApi.listNfInstances(null, null, "counter", null, null).getTotal()).isEqualTo(3);
    assertThat(instancesApi.listNfInstances(null, null, null, "b", null).getItems())
        .extracting(NfInstance::getNf).containsExactly("passthrough");
    assertThat(instancesApi.listNfInstances(null, null, "counter", "b", null).getTotal()).isZero();
    assertThat(instancesApi.listNfInstances(null, null, null, null, InstanceState.PENDING).getTotal()).isEqualTo(4);
    assertThat(instancesApi.listNfInstances(null, null, null, null, InstanceState.RUNNING).getTotal()).isZero();
    NfInstancePage p0 = instancesApi.listNfInstances(0, 3, null, null, null);
    NfInstancePage p1 = instancesApi.listNfInstances(1, 3, null, null, null);
    assertThat(p0.getItems()).hasSize(3);
    assertThat(p1.getItems()).hasSize(1);
    assertThat(p0.getItems().get(0).getCreatedAt()).isBeforeOrEqualTo(p1.getItems().get(0).getCreatedAt());
    assertThat(p1.getItems().get(0).getId()).isNotIn(p0.getItems().stream().map(NfInstance::getId).toList());
    get("/nf-instances?nf=counter&node=a&state=PENDING&page=0&size=2");
  }

  @Test
  void deleteDestroysTheGuestAndRemovesTheRecordOnConfirmation() throws Exception {
    registerNode("edge-1");
    Operation inst = create(new NfInstanceCreate().nf("counter"));
    Command createCmd = onlyCommandTo("edge-1");
    ApiResponse<Operation> del = instancesApi.deleteNfInstanceWithHttpInfo(idOf(inst));
    assertThat(del.getStatusCode()).isEqualTo(202);
    Operation term = del.getData();
    assertThat(term.getType()).isEqualTo(OperationType.TERMINATE);
    assertThat(term.getState()).isEqualTo(OperationState.RUNNING);
    // the unfinished INSTANTIATE was superseded
    assertThat(operationsApi.getOperation(inst.getId()).getState()).isEqualTo(OperationState.ROLLED_BACK);
    NfInstance terminating = instancesApi.getNfInstance(idOf(inst));
    assertThat(terminating.getState()).isEqualTo(InstanceState.TERMINATING);
    assertThat(terminating.getDesiredState()).isEqualTo(dev.mayfly.client.model.DesiredState.DELETED);
    // deleting again returns the same operation
    assertThat(instancesApi.deleteNfInstance(idOf(inst)).getId()).isEqualTo(term.getId());

    reconciler.reconcileNow();
    List<Command> cmds = gateway.sentTo("edge-1");
    assertThat(cmds).hasSize(2);
    Command destroy = cmds.get(1);
    assertThat(destroy.hasDestroy()).isTrue();
    assertThat(destroy.getGuestId()).isEqualTo(createCmd.getGuestId());
    assertThat(destroy.getGeneration()).isEqualTo(2);
    agents.commandResult("edge-1", CommandResult.newBuilder().setGuestId(destroy.getGuestId()).setGeneration(2)
        .setOk(true).setState(GuestState.DESTROYED).addTimings(Timing.newBuilder().setPhase("teardown")
            .setMillis(0.4)).build());
    assertThatThrownBy(() -> instancesApi.getNfInstance(idOf(inst)))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(404));
    Operation done = operationsApi.getOperation(term.getId());
    assertThat(done.getState()).isEqualTo(OperationState.SUCCEEDED);
    assertThat(done.getPhases()).extracting(OperationPhase::getName).containsExactly("dispatch", "destroy", "teardown");
  }

  @Test
  void deleteOfAnInstanceNeverSentIsImmediate() throws Exception {
    registerNode("edge-1");
    gateway.disconnect("edge-1"); // registered but the connection is gone: nothing can be sent
    Operation inst = create(new NfInstanceCreate().nf("counter"));
    reconciler.reconcileNow();
    assertThat(gateway.sent()).isEmpty();
    var r = call("DELETE", "/nf-instances/" + inst.getResource().getId(), null, null);
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(r.body()).contains("\"state\":\"SUCCEEDED\"");
    assertThat(jdbc.queryForObject("select count(*) from nf_instance", Long.class)).isZero();
  }

  @Test
  void commandsForAnUnreachableNodeWaitAndAreResentAfterReconnect() throws Exception {
    registerNode("edge-1");
    Operation inst = create(new NfInstanceCreate().nf("counter"));
    Command first = onlyCommandTo("edge-1");
    gateway.disconnect("edge-1");
    agents.agentDisconnected("edge-1", "test");
    Operation term = instancesApi.deleteNfInstance(idOf(inst));
    reconciler.reconcileNow();
    assertThat(gateway.sent()).hasSize(1);
    assertThat(operationsApi.getOperation(term.getId()).getState()).isEqualTo(OperationState.RUNNING);
    // the agent comes back and reports it still holds the guest
    registerNode("edge-1");
    agents.guestReport("edge-1", dev.mayfly.southbound.v1.GuestReport.newBuilder().addGuests(
        dev.mayfly.southbound.v1.GuestEvent.newBuilder().setGuestId(first.getGuestId()).setGeneration(1)
            .setState(GuestState.RUNNING)).build());
    reconciler.reconcileNow();
    assertThat(gateway.sentTo("edge-1")).hasSize(2).last().satisfies(c -> {
      assertThat(c.hasDestroy()).isTrue();
      assertThat(c.getGeneration()).isEqualTo(2);
    });
  }

  @Test
  void aLostGuestIsRecreatedAndACrashedOneRestarted() throws Exception {
    registerNode("edge-1");
    Operation inst = create(new NfInstanceCreate().nf("counter"));
    Command first = onlyCommandTo("edge-1");
    agents.commandResult("edge-1", CommandResult.newBuilder().setGuestId(first.getGuestId()).setGeneration(1)
        .setOk(true).setState(GuestState.RUNNING).build());
    // agent restarted without the guest: its report is empty
    agents.guestReport("edge-1", dev.mayfly.southbound.v1.GuestReport.getDefaultInstance());
    assertThat(instancesApi.getNfInstance(idOf(inst)).getState()).isEqualTo(InstanceState.PENDING);
    reconciler.reconcileNow();
    assertThat(gateway.sentTo("edge-1")).hasSize(2).last().satisfies(c -> {
      assertThat(c.hasCreate()).isTrue();
      assertThat(c.getGeneration()).isEqualTo(1); // same generation: idempotent resend
    });
    agents.guestEvent("edge-1", dev.mayfly.southbound.v1.GuestEvent.newBuilder().setGuestId(first.getGuestId())
        .setGeneration(1).setState(GuestState.RUNNING).build());
    agents.guestEvent("edge-1", dev.mayfly.southbound.v1.GuestEvent.newBuilder().setGuestId(first.getGuestId())
        .setGeneration(1).setState(GuestState.CRASHED).setReason("segfault").build());
    NfInstance crashed = instancesApi.getNfInstance(idOf(inst));
    // the event kicks a background pass, which may already have restarted it
    assertThat(crashed.getState()).isIn(InstanceState.CRASHED, InstanceState.PENDING);
    assertThat(crashed.getError()).isEqualTo("segfault");
    reconciler.reconcileNow();
    assertThat(gateway.sentTo("edge-1")).hasSize(3).last().satisfies(c -> {
      assertThat(c.hasCreate()).isTrue();
      assertThat(c.getGeneration()).isEqualTo(2);
    });
    // results for an old generation are ignored
    agents.commandResult("edge-1", CommandResult.newBuilder().setGuestId(first.getGuestId()).setGeneration(1)
        .setOk(false).setErrorMessage("stale").build());
    assertThat(instancesApi.getNfInstance(idOf(inst)).getError()).isEqualTo("segfault");
  }

  @Test
  void inputIsCheckedAgainstTheDescriptorAndTheCluster() throws Exception {
    registerNode("edge-1");
    var unknownNf = call("POST", "/nf-instances", "application/json", "{\"nf\":\"nope\"}");
    assertThat(unknownNf.statusCode()).isEqualTo(422);
    assertThat(unknownNf.body()).contains("\"field\":\"nf\"");
    var unknownNode = call("POST", "/nf-instances", "application/json", "{\"nf\":\"counter\",\"node\":\"zz\"}");
    assertThat(unknownNode.statusCode()).isEqualTo(422);
    assertThat(unknownNode.body()).contains("\"field\":\"node\"");
    var badPort = call("POST", "/nf-instances", "application/json",
        "{\"nf\":\"counter\",\"ports\":[{\"name\":\"out\",\"bridge\":\"br0\"}]}");
    assertThat(badPort.statusCode()).isEqualTo(422);
    assertThat(badPort.body()).contains("\"field\":\"ports[0].name\"").contains("(ports: in)");
    var both = call("POST", "/nf-instances", "application/json",
        "{\"nf\":\"counter\",\"ports\":[{\"name\":\"in\",\"bridge\":\"br0\",\"xconnect\":\"eth1\"}]}");
    assertThat(both.statusCode()).isEqualTo(422);
    assertThat(both.body()).contains("\"field\":\"ports[0]\"").contains("exactly one of bridge or xconnect");
    var badMac = call("POST", "/nf-instances", "application/json",
        "{\"nf\":\"counter\",\"ports\":[{\"name\":\"in\",\"bridge\":\"br0\",\"mac\":\"zz\"}]}");
    assertThat(badMac.statusCode()).isEqualTo(422);
    assertThat(badMac.body()).contains("\"field\":\"ports[0].mac\"");
    var missing = call("GET", "/nf-instances/" + UUID.randomUUID(), null, null);
    assertThat(missing.statusCode()).isEqualTo(404);
    var missingDelete = call("DELETE", "/nf-instances/" + UUID.randomUUID(), null, null);
    assertThat(missingDelete.statusCode()).isEqualTo(404);
    assertThat(jdbc.queryForObject("select count(*) from nf_instance", Long.class)).isZero();
  }
}
