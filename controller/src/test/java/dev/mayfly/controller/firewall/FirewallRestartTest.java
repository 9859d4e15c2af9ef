package dev.mayfly.controller.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.client.model.FirewallAction;
import dev.mayfly.client.model.FirewallPolicy;
import dev.mayfly.client.model.FirewallRule;
import dev.mayfly.client.model.FirewallState;
import dev.mayfly.client.model.FirewallStatus;
import dev.mayfly.client.model.SubscriberCreate;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestEvent;
import dev.mayfly.southbound.v1.GuestState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Automatic restart of a firewall guest that crashed or stopped on its own: the recording
 * gateway stands in for the agent, crashes are reported as the agent reports them (GuestEvent).
 */
class FirewallRestartTest extends FirewallTestBase {

  static final String SUB = "001010000000001";

  static FirewallPolicy policy() {
    return new FirewallPolicy().rules(new ArrayList<>(List.of(new FirewallRule().action(FirewallAction.ALLOW)
        .direction(FirewallRule.DirectionEnum.OUTBOUND).protocol(FirewallRule.ProtocolEnum.TCP)
        .remoteCidr("10.77.0.1/32").portFrom(8080)))).defaultOutbound(FirewallAction.DENY)
        .defaultInbound(FirewallAction.DENY).stateful(true);
  }

  List<Command> sent() throws Exception {
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    return gateway.sentTo("edge-a");
  }

  void answer(Command c) throws Exception {
    provisioner.commandResult("edge-a", CommandResult.newBuilder().setCommandId(c.getCommandId())
        .setGuestId(c.getGuestId()).setGeneration(c.getGeneration()).setOk(true)
        .setState(c.hasDestroy() ? GuestState.DESTROYED : GuestState.RUNNING).build());
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
  }

  void crash(String guestId, GuestState state) throws Exception {
    provisioner.guestEvent("edge-a", GuestEvent.newBuilder().setGuestId(guestId).setGeneration(1).setState(state)
        .setReason("killed by signal 9").build());
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
  }

  FirewallStatus status() throws Exception {
    return api.getSubscriberPolicy(SUB).getFirewall();
  }

  /** The guest the subscriber has now, RUNNING (its create answered). */
  String running() throws Exception {
    // the create is queued at commit and made by the provisioner's thread: wait for it (a read
    // right after the POST raced it and lost once under CI load)
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    String id = status().getGuestId();
    List<Command> creates = sent().stream().filter(c -> c.hasCreate() && c.getGuestId().equals(id)).toList();
    assertThat(creates).as("create of " + id).isNotEmpty();
    answer(creates.get(0));
    FirewallStatus st = status();
    assertThat(st.getState()).isEqualTo(FirewallState.RUNNING);
    assertThat(st.getGuestId()).isEqualTo(id);
    assertThat(st.getError()).isNull();
    return id;
  }

  int restarts(String guestId) {
    return jdbc.queryForObject("SELECT restarts FROM firewall_guest WHERE guest_id = ?", Integer.class, guestId);
  }

  @Test
  void aCrashedGuestIsReplacedAtOnceThenWithBackOffUpToTheLimit() throws Exception {
    api.createSubscriber(new SubscriberCreate().id(SUB).ueIp("10.77.1.1").edgeNode("edge-a").attachment("ue1")
        .policy(policy()));
    String first = running();
    String config = sent().get(0).getCreate().getSpec().getClickConfig();

    // 1st crash: the dead guest is destroyed and a new one created at once, same configuration
    int before = sent().size();
    crash(first, GuestState.CRASHED);
    List<Command> after = sent().subList(before, sent().size());
    assertThat(after).anyMatch(c -> c.hasDestroy() && c.getGuestId().equals(first));
    List<Command> creates = after.stream().filter(Command::hasCreate).toList();
    assertThat(creates).hasSize(1);
    String second = creates.get(0).getGuestId();
    assertThat(second).startsWith("fw-").isNotEqualTo(first);
    assertThat(creates.get(0).getCreate().getSpec().getClickConfig()).isEqualTo(config);
    FirewallStatus st = status();
    assertThat(st.getState()).isEqualTo(FirewallState.PENDING);
    assertThat(st.getGuestId()).isEqualTo(second);
    assertThat(st.getError()).contains("restart 1 of at most " + settings.maxRestarts()).contains("crashed")
        .contains("killed by signal 9");
    assertThat(running()).isEqualTo(second);
    assertThat(restarts(second)).isEqualTo(1);
    assertThat(status().getRestarts()).isEqualTo(1);
    assertThat(status().getLastRestartAt()).isNotNull();
    // the destroy of the dead guest is answered: its row goes
    answer(after.stream().filter(Command::hasDestroy).findFirst().orElseThrow());
    assertThat(jdbc.queryForObject("SELECT count(*) FROM firewall_guest WHERE guest_id = ?", Integer.class, first))
        .isZero();

    // later crashes within the window wait (back-off): the new row carries the time, the
    // resend pass sends the create once it is due
    String cur = second;
    for (int n = 2; n <= settings.maxRestarts(); n++) {
      crash(cur, n % 2 == 0 ? GuestState.STOPPED : GuestState.CRASHED);
      st = status();
      assertThat(st.getState()).isEqualTo(FirewallState.PENDING);
      assertThat(st.getGuestId()).isNotEqualTo(cur);
      assertThat(st.getError()).contains("restart " + n + " of");
      String next = st.getGuestId();
      assertThat(restarts(next)).isEqualTo(n);
      assertThat(st.getRestarts()).isEqualTo(n);
      assertThat(jdbc.queryForObject("SELECT restart_at IS NOT NULL FROM firewall_guest WHERE guest_id = ?",
          Boolean.class, next)).isTrue();
      jdbc.update("UPDATE firewall_guest SET restart_at = now() - interval '1 second' WHERE guest_id = ?", next);
      assertThat(provisioner.awaitResendPass(10_000)).isTrue();
      assertThat(running()).isEqualTo(next);
      cur = next;
    }

    // one more: the limit is reached, the guest stays FAILED and says why
    int sentBefore = sent().size();
    crash(cur, GuestState.CRASHED);
    st = status();
    assertThat(st.getState()).isEqualTo(FirewallState.FAILED);
    assertThat(st.getGuestId()).isEqualTo(cur);
    assertThat(st.getError()).contains("not restarted again").contains("max-restarts");
    assertThat(sent().subList(sentBefore, sent().size())).noneMatch(Command::hasCreate);

    // a new PUT of the policy replaces the failed guest (and the count starts again)
    api.putSubscriberPolicy(SUB, policy());
    assertThat(provisioner.awaitIdle(10_000)).isTrue(); // the replacement is made by the provisioner's worker
    String fresh = status().getGuestId();
    assertThat(fresh).isNotEqualTo(cur);
    assertThat(running()).isEqualTo(fresh);
    assertThat(restarts(fresh)).isZero();
    assertThat(status().getRestarts()).isZero();
    assertThat(status().getLastRestartAt()).isNull();
  }

  @Test
  void aGuestThatNeverRanIsNotRestarted() throws Exception {
    api.createSubscriber(new SubscriberCreate().id(SUB).ueIp("10.77.1.1").edgeNode("edge-a").attachment("ue1")
        .policy(policy()));
    assertThat(provisioner.awaitIdle(10_000)).isTrue(); // the create is the provisioner's worker's
    String id = status().getGuestId();
    int before = sent().size();
    crash(id, GuestState.CRASHED); // while PENDING: boot trouble, not a crash of a running guest
    FirewallStatus st = status();
    assertThat(st.getState()).isEqualTo(FirewallState.FAILED);
    assertThat(st.getGuestId()).isEqualTo(id);
    assertThat(sent().subList(before, sent().size())).noneMatch(Command::hasCreate);
  }

  @Test
  void aCrashAfterTheSubscriberLostItsPolicyOnlyCleansUp() throws Exception {
    api.createSubscriber(new SubscriberCreate().id(SUB).ueIp("10.77.1.1").edgeNode("edge-a").attachment("ue1")
        .policy(policy()));
    String id = running();
    // the policy is deleted while the destroy is in flight; a late crash report changes nothing
    api.deleteSubscriberPolicy(SUB);
    int before = sent().size();
    crash(id, GuestState.CRASHED);
    assertThat(sent().subList(before, sent().size())).noneMatch(Command::hasCreate);
    assertThat(status().getState()).isEqualTo(FirewallState.NONE);
  }

  @Test
  void aLiveCounterReadAtGenerationZeroIsNotTakenForTheAnswerToADestroy() throws Exception {
    api.createSubscriber(new SubscriberCreate().id(SUB).ueIp("10.77.1.1").edgeNode("edge-a").attachment("ue1")
        .policy(policy()));
    String id = running();
    int before = sent().size();
    api.deleteSubscriberPolicy(SUB);
    Command destroy = sent().subList(before, sent().size()).stream().filter(Command::hasDestroy).findFirst()
        .orElseThrow();
    // a counters read (generation 0, ok) lands while the destroy is in flight: the row stays
    provisioner.commandResult("edge-a", CommandResult.newBuilder().setCommandId("read-1").setGuestId(id)
        .setGeneration(0).setOk(true).setState(GuestState.RUNNING).putHandlers("fw.size", "3").build());
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    assertThat(jdbc.queryForObject("SELECT count(*) FROM firewall_guest WHERE guest_id = ?", Integer.class, id))
        .isOne();
    answer(destroy);
    assertThat(jdbc.queryForObject("SELECT count(*) FROM firewall_guest WHERE guest_id = ?", Integer.class, id))
        .isZero();
  }
}
