package dev.mayfly.controller.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.client.model.SubscriberCreate;
import dev.mayfly.southbound.v1.Command;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The resend pass and the node's connection: an unanswered create sent over the current
 * connection waits {@code resend-after-live} (TCP delivered it; the agent is busy), one sent
 * before the node connected again is resent after {@code resend-after}.
 */
class FirewallResendTest extends FirewallTestBase {

  static final String SUB = "001010000000007";

  List<Command> creates() throws Exception {
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    return gateway.sentTo("edge-a").stream().filter(Command::hasCreate).toList();
  }

  /** A subscriber with a policy on edge-a: its create is sent once. */
  void createWithPolicy() throws Exception {
    api.createSubscriber(new SubscriberCreate().id(SUB).ueIp("10.77.1.7").edgeNode("edge-a").attachment("ue7")
        .policy(FirewallRestartTest.policy()));
    assertThat(creates()).hasSize(1);
  }

  void dispatchedAgo(Duration ago) {
    jdbc.update("UPDATE firewall_guest SET dispatched_at = ?", Timestamp.from(Instant.now().minus(ago)));
  }

  @Test
  void aCreateSentOverTheLiveConnectionIsResentOnlyAfterResendAfterLive() throws Exception {
    gateway.connect("edge-a", Instant.now().minus(Duration.ofHours(1)));
    createWithPolicy();
    String guest = creates().get(0).getGuestId();

    // unanswered for longer than resend-after, on the connection it was sent over: not resent
    dispatchedAgo(settings.resendAfter().plusSeconds(5));
    assertThat(provisioner.awaitResendPass(10_000)).isTrue();
    assertThat(creates()).hasSize(1);

    // unanswered for longer than resend-after-live: resent, same guest and generation
    dispatchedAgo(settings.resendAfterLive().plusSeconds(5));
    assertThat(provisioner.awaitResendPass(10_000)).isTrue();
    assertThat(creates()).hasSize(2);
    assertThat(creates().get(1).getGuestId()).isEqualTo(guest);
    assertThat(creates().get(1).getGeneration()).isEqualTo(creates().get(0).getGeneration());
  }

  @Test
  void aCreateSentBeforeTheNodeConnectedAgainIsResentAfterResendAfter() throws Exception {
    gateway.connect("edge-a", Instant.now().minus(Duration.ofHours(1)));
    createWithPolicy();
    dispatchedAgo(settings.resendAfter().plusSeconds(5));
    gateway.connect("edge-a", Instant.now()); // a new connection since: the first may be lost
    assertThat(provisioner.awaitResendPass(10_000)).isTrue();
    assertThat(creates()).hasSize(2);
  }
}
