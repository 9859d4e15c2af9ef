package dev.mayfly.controller.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.client.model.NfInstanceCreate;
import dev.mayfly.client.model.Operation;
import dev.mayfly.controller.support.ApiTestBase;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.GuestEvent;
import dev.mayfly.southbound.v1.GuestState;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The reconciler against a recording AgentGateway double: what it sends, when, and what it leaves alone. */
class ReconcilerTest extends ApiTestBase {

  private UUID create(String node) throws Exception {
    Operation op = instancesApi.createNfInstance(new NfInstanceCreate().nf("counter").node(node));
    return UUID.fromString(op.getResource().getId());
  }

  @Test
  void unansweredCommandsAreResentWithTheSameGenerationAfterResendAfter() throws Exception {
    registerNode("n1");
    UUID id = create("n1");
    reconciler.reconcileNow();
    reconciler.reconcileNow();
    assertThat(gateway.sentTo("n1")).hasSize(1);
    jdbc.update("update nf_instance set dispatched_at = now() - interval '2 hours' where id = ?", id);
    reconciler.reconcileNow();
    List<Command> sent = gateway.sentTo("n1");
    assertThat(sent).hasSize(2);
    assertThat(sent.get(1).getGuestId()).isEqualTo(sent.get(0).getGuestId());
    assertThat(sent.get(1).getGeneration()).isEqualTo(sent.get(0).getGeneration());
    assertThat(sent.get(1).getCommandId()).isNotEqualTo(sent.get(0).getCommandId());
  }

  @Test
  void aCommandSentOverTheLiveConnectionWaitsForResendAfterLive() throws Exception {
    // in these tests resend-after is 1 h and resend-after-live 3 h (ApiTestBase)
    registerNode("n1");
    gateway.connect("n1", java.time.Instant.now().minusSeconds(10 * 3600));
    UUID id = create("n1");
    reconciler.reconcileNow();
    assertThat(gateway.sentTo("n1")).hasSize(1);
    // past resend-after, but sent over the current connection: not again
    jdbc.update("update nf_instance set dispatched_at = now() - interval '90 minutes' where id = ?", id);
    reconciler.reconcileNow();
    assertThat(gateway.sentTo("n1")).hasSize(1);
    // the node reconnected since: the command may have been lost with the old connection
    gateway.connect("n1", java.time.Instant.now().minusSeconds(5));
    reconciler.reconcileNow();
    assertThat(gateway.sentTo("n1")).hasSize(2);
    // past resend-after-live on the live connection: sent again too
    gateway.connect("n1", java.time.Instant.now().minusSeconds(10 * 3600));
    jdbc.update("update nf_instance set dispatched_at = now() - interval '4 hours' where id = ?", id);
    reconciler.reconcileNow();
    List<Command> sent = gateway.sentTo("n1");
    assertThat(sent).hasSize(3);
    assertThat(sent.get(2).getGeneration()).isEqualTo(sent.get(0).getGeneration());
  }

  @Test
  void everyDescriptorPortIsInTheGuestSpecAttachedOrNot() throws Exception {
    registerNode("n1");
    instancesApi.createNfInstance(new NfInstanceCreate().nf("passthrough").node("n1")
        .ports(List.of(new dev.mayfly.client.model.PortAttachment().name("core").bridge("br-core"))));
    reconciler.reconcileNow();
    var ports = gateway.sentTo("n1").get(0).getCreate().getSpec().getPortsList();
    assertThat(ports).extracting(p -> p.getName()).containsExactly("access", "core");
    assertThat(ports.get(0).getAttachCase()).isEqualTo(dev.mayfly.southbound.v1.Port.AttachCase.ATTACH_NOT_SET);
    assertThat(ports.get(1).getBridge()).isEqualTo("br-core");
  }

  @Test
  void commandsWaitForADisconnectedNode() throws Exception {
    registerNode("n1");
    gateway.disconnect("n1");
    create("n1");
    reconciler.reconcileNow();
    assertThat(gateway.sent()).isEmpty();
    gateway.connect("n1");
    reconciler.reconcileNow();
    assertThat(gateway.sentTo("n1")).hasSize(1);
  }

  @Test
  void crashedGuestsAreRestartedAtMostMaxRestartsTimes() throws Exception {
    registerNode("n1");
    UUID id = create("n1");
    reconciler.reconcileNow();
    String guest = gateway.sentTo("n1").get(0).getGuestId();
    for (int round = 1; round <= 5; round++) {
      long gen = gateway.sentTo("n1").get(gateway.sentTo("n1").size() - 1).getGeneration();
      agents.guestEvent("n1", GuestEvent.newBuilder().setGuestId(guest).setGeneration(gen)
          .setState(GuestState.CRASHED).setReason("boom " + round).build());
      reconciler.reconcileNow();
    }
    // generation 1 plus three restarts (mayfly.reconcile.max-restarts = 3)
    assertThat(gateway.sentTo("n1")).extracting(Command::getGeneration).containsExactly(1L, 2L, 3L, 4L);
    assertThat(instancesApi.getNfInstance(id).getState().getValue()).isEqualTo("CRASHED");
  }

  @Test
  void guestsLeftByADrainAreDestroyedWhenTheirNodeIsConnected() throws Exception {
    registerNode("old");
    UUID id = create("old");
    reconciler.reconcileNow();
    String oldGuest = gateway.sentTo("old").get(0).getGuestId();
    gateway.disconnect("old");
    agents.agentDisconnected("old", "test");
    registerNode("new");
    nodesApi.drainEdgeNode("old");
    reconciler.reconcileNow();
    assertThat(gateway.sentTo("new")).singleElement().satisfies(c -> assertThat(c.hasCreate()).isTrue());
    assertThat(gateway.sentTo("old")).hasSize(1); // only the original create
    assertThat(instancesApi.getNfInstance(id).getNode()).isEqualTo("new");
    // the old node comes back: its left-over guest is destroyed
    registerNode("old");
    reconciler.reconcileNow();
    assertThat(gateway.sentTo("old")).hasSize(2).last().satisfies(c -> {
      assertThat(c.hasDestroy()).isTrue();
      assertThat(c.getGuestId()).isEqualTo(oldGuest);
    });
    // a report without the guest settles it too
    agents.guestReport("old", dev.mayfly.southbound.v1.GuestReport.getDefaultInstance());
    assertThat(jdbc.queryForObject("select count(*) from guest_cleanup", Long.class)).isZero();
  }

  @Test
  void reportsAboutUnknownGuestsAndOtherNodesAreIgnored() throws Exception {
    registerNode("n1");
    registerNode("n2");
    UUID id = create("n1");
    reconciler.reconcileNow();
    String guest = gateway.sentTo("n1").get(0).getGuestId();
    agents.guestEvent("n2", GuestEvent.newBuilder().setGuestId(guest).setGeneration(1)
        .setState(GuestState.RUNNING).build());
    agents.guestEvent("n1", GuestEvent.newBuilder().setGuestId("no-such-guest").setGeneration(1)
        .setState(GuestState.RUNNING).build());
    assertThat(instancesApi.getNfInstance(id).getState().getValue()).isEqualTo("PENDING");
    agents.guestEvent("n1", GuestEvent.newBuilder().setGuestId(guest).setGeneration(1)
        .setState(GuestState.BOOTING).build());
    assertThat(instancesApi.getNfInstance(id).getState().getValue()).isEqualTo("BOOTING");
  }
}
