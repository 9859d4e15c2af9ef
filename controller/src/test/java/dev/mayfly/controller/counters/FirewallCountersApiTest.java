package dev.mayfly.controller.counters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.client.ApiException;
import dev.mayfly.client.api.FirewallCountersApi;
import dev.mayfly.client.api.SubscribersApi;
import dev.mayfly.client.model.FirewallAction;
import dev.mayfly.client.model.FirewallCounters;
import dev.mayfly.client.model.FirewallPolicy;
import dev.mayfly.client.model.FirewallRule;
import dev.mayfly.client.model.SubscriberCreate;
import dev.mayfly.controller.firewall.FirewallProvisioner;
import dev.mayfly.controller.support.ApiTestBase;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestState;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * {@code GET /subscribers/{id}/firewall/counters} against a scripted agent double: the
 * {@link dev.mayfly.controller.support.RecordingGateway} records what the controller sends and
 * a thread answers each ReadHandlers command as an agent would, delivering the result to every
 * southbound listener that sees results in the real controller (the reader and the firewall
 * provisioner), with per-test faults. Responses are checked against openapi.yaml.
 */
class FirewallCountersApiTest extends ApiTestBase {

  static final String SUB = "001010000000077";

  @Autowired
  FirewallProvisioner provisioner;
  @Autowired
  HandlerReader reader;
  @Autowired
  FirewallCountersService service;

  SubscribersApi subscribers;
  FirewallCountersApi countersApi;
  String guestId;
  Thread answerer;
  volatile boolean answering;
  final Set<String> answered = ConcurrentHashMap.newKeySet();
  final AtomicLong packets = new AtomicLong();
  /** ReadHandlers command → result to send, or null to stay silent. */
  volatile Function<Command, CommandResult> script = this::handlers;

  @BeforeEach
  void setUp() throws Exception {
    jdbc.execute("TRUNCATE subscriber, subscriber_batch, firewall_guest");
    service.timeout(Duration.ofSeconds(2));
    subscribers = new SubscribersApi(client);
    countersApi = new FirewallCountersApi(client);
    registerNode("edge-a");
    guestId = runningFirewall(SUB, "10.77.1.77");
    answered.addAll(gateway.sent().stream().map(s -> s.command().getCommandId()).toList());
    answering = true;
    answerer = new Thread(this::answerLoop, "fake-agent");
    answerer.setDaemon(true);
    answerer.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    answering = false;
    answerer.join(5000);
  }

  /** Creates a subscriber with a stateful policy and answers its CreateGuest; returns the guest id. */
  String runningFirewall(String id, String ueIp) throws Exception {
    createWithPolicy(id, ueIp, true);
    Command create = gateway.sentTo("edge-a").stream().filter(c -> c.hasCreate())
        .filter(c -> c.getCreate().getSpec().getClickConfig().contains(ueIp)).findFirst().orElseThrow();
    provisioner.commandResult("edge-a", CommandResult.newBuilder().setCommandId(create.getCommandId())
        .setGuestId(create.getGuestId()).setGeneration(create.getGeneration()).setOk(true)
        .setState(GuestState.RUNNING).build());
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    assertThat(guestState(create.getGuestId())).isEqualTo("RUNNING");
    return create.getGuestId();
  }

  void createWithPolicy(String id, String ueIp, boolean stateful) throws Exception {
    subscribers.createSubscriber(new SubscriberCreate().id(id).ueIp(ueIp).edgeNode("edge-a").attachment("ue" + ueIp.substring(ueIp.lastIndexOf('.') + 1)));
    subscribers.putSubscriberPolicy(id, new FirewallPolicy().rules(new ArrayList<>(List.of(new FirewallRule()
        .action(FirewallAction.ALLOW).direction(FirewallRule.DirectionEnum.OUTBOUND)
        .protocol(FirewallRule.ProtocolEnum.TCP).remoteCidr("10.77.0.0/17"))))
        .defaultOutbound(FirewallAction.DENY).defaultInbound(FirewallAction.DENY).stateful(stateful));
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
  }

  String guestState(String guest) {
    return jdbc.queryForObject("SELECT state || '/' || command_generation FROM firewall_guest WHERE guest_id = ?",
        String.class, guest).split("/")[0];
  }

  String guestRow(String guest) {
    return jdbc.queryForObject("SELECT state || '/' || command_generation || '/' || applied_policy_gen"
        + " FROM firewall_guest WHERE guest_id = ?", String.class, guest);
  }

  /** What the guest exports: counters that grow on every read, as traffic would make them. */
  CommandResult handlers(Command c) {
    long n = packets.addAndGet(10);
    return CommandResult.newBuilder().setCommandId(c.getCommandId()).setGuestId(c.getGuestId())
        .setGeneration(c.getGeneration()).setOk(true).setState(GuestState.RUNNING)
        .putHandlers("access_in.count", String.valueOf(n + 5))
        .putHandlers("core_out.count", String.valueOf(n))
        .putHandlers("core_in.count", String.valueOf(n / 2 + 3))
        .putHandlers("access_out.count", String.valueOf(n / 2))
        .putHandlers("out_filter.drops", "5")
        .putHandlers("in_filter.drops", "3")
        .putHandlers("fw.drops", "1")
        .putHandlers("fw.size", "2")
        .putHandlers("fw.evictions", "0")
        .putHandlers("weird.handler", "not a number")
        .build();
  }

  static CommandResult fail(Command c, String code, String msg) {
    return CommandResult.newBuilder().setCommandId(c.getCommandId()).setGuestId(c.getGuestId())
        .setGeneration(c.getGeneration()).setOk(false).setErrorCode(code).setErrorMessage(msg).build();
  }

  private void answerLoop() {
    while (answering) {
      for (var s : gateway.sent()) {
        if (s.command().hasReadHandlers() && answered.add(s.command().getCommandId())) {
          CommandResult r = script.apply(s.command());
          if (r != null) { // the real fan-out hands every result to every listener
            reader.commandResult(s.node(), r);
            provisioner.commandResult(s.node(), r);
          }
        }
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Test
  void readsTheGuestsHandlersLiveAndMapsThem() throws Exception {
    String before = guestRow(guestId);
    FirewallCounters c = countersApi.getSubscriberFirewallCounters(SUB);
    assertThat(c.getSubscriberId()).isEqualTo(SUB);
    assertThat(c.getNode()).isEqualTo("edge-a");
    assertThat(c.getGuestId()).isEqualTo(guestId);
    assertThat(c.getReadAt()).isNotNull();
    assertThat(c.getOutbound().getAllowed()).isEqualTo(10);
    assertThat(c.getOutbound().getDenied()).isEqualTo(5);
    assertThat(c.getInbound().getAllowed()).isEqualTo(5);
    assertThat(c.getInbound().getDenied()).isEqualTo(3 + 1);
    assertThat(c.getFlows()).isEqualTo(2);
    assertThat(c.getHandlers()).containsEntry("access_in.count", 15L).containsEntry("fw.evictions", 0L)
        .doesNotContainKey("weird.handler");
    // every call is a new read: the counters move
    FirewallCounters again = countersApi.getSubscriberFirewallCounters(SUB);
    assertThat(again.getOutbound().getAllowed()).isEqualTo(20);
    // the command: ReadHandlers for that guest, generation 0 (read-only, see package-info)
    List<Command> reads = gateway.sentTo("edge-a").stream().filter(Command::hasReadHandlers).toList();
    assertThat(reads).hasSize(2).allSatisfy(r -> {
      assertThat(r.getGuestId()).isEqualTo(guestId);
      assertThat(r.getGeneration()).isZero();
    });
    assertThat(reads.get(0).getCommandId()).isNotEqualTo(reads.get(1).getCommandId());
    // the provisioner saw the results too and left the guest alone
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    assertThat(guestRow(guestId)).isEqualTo(before);
    assertThat(reader.outstanding()).isZero();
    // raw call: status, content type and body against the spec; not cacheable
    HttpResponse<String> raw = get("/subscribers/" + SUB + "/firewall/counters");
    assertThat(raw.statusCode()).isEqualTo(200);
    assertThat(raw.headers().firstValue("Cache-Control").orElse("")).contains("no-store");
  }

  @Test
  void statelessPolicyHasNoFlowCount() throws Exception {
    jdbc.execute("TRUNCATE subscriber, firewall_guest");
    answered.addAll(gateway.sent().stream().map(s -> s.command().getCommandId()).toList());
    createWithPolicy("001010000000078", "10.77.1.78", false);
    Command create = gateway.sentTo("edge-a").stream().filter(Command::hasCreate)
        .filter(c -> c.getCreate().getSpec().getClickConfig().contains("10.77.1.78")).findFirst().orElseThrow();
    provisioner.commandResult("edge-a", CommandResult.newBuilder().setCommandId(create.getCommandId())
        .setGuestId(create.getGuestId()).setGeneration(create.getGeneration()).setOk(true)
        .setState(GuestState.RUNNING).build());
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    script = c -> CommandResult.newBuilder().setCommandId(c.getCommandId()).setGuestId(c.getGuestId())
        .setOk(true).putHandlers("core_out.count", "7").putHandlers("in_filter.drops", "2").build();
    FirewallCounters c = countersApi.getSubscriberFirewallCounters("001010000000078");
    assertThat(c.getFlows()).isNull();
    assertThat(c.getOutbound().getAllowed()).isEqualTo(7);
    assertThat(c.getInbound().getDenied()).isEqualTo(2);
    assertThat(c.getInbound().getAllowed()).isZero();
  }

  @Test
  void unknownSubscriberIs404() throws Exception {
    HttpResponse<String> r = get("/subscribers/001010000009999/firewall/counters");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).contains("001010000009999");
    assertThat(gateway.sent().stream().filter(s -> s.command().hasReadHandlers())).isEmpty();
  }

  @Test
  void subscriberWithoutFirewallIs404() throws Exception {
    subscribers.createSubscriber(new SubscriberCreate().id("001010000000079").ueIp("10.77.1.79")
        .edgeNode("edge-a").attachment("ue79"));
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    HttpResponse<String> r = get("/subscribers/001010000000079/firewall/counters");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).contains("has no firewall guest");
  }

  @Test
  void guestNotRunningYetIs409() throws Exception {
    createWithPolicy("001010000000080", "10.77.1.80", true); // its create is never answered
    assertThatThrownBy(() -> countersApi.getSubscriberFirewallCounters("001010000000080"))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.getCode()).isEqualTo(409);
          assertThat(problemOf(e)).contains("not-running").contains("PENDING");
        });
    assertThat(get("/subscribers/001010000000080/firewall/counters").statusCode()).isEqualTo(409);
  }

  @Test
  void nodeNotConnectedIs503NamingTheNode() throws Exception {
    gateway.disconnect("edge-a");
    HttpResponse<String> r = get("/subscribers/" + SUB + "/firewall/counters");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    assertThat(r.body()).contains("node-unreachable").contains("node edge-a is unreachable")
        .contains("\"field\":\"edgeNode\"");
  }

  @Test
  void agentSilentIs503AfterTheTimeout() throws Exception {
    service.timeout(Duration.ofMillis(300));
    script = c -> null;
    HttpResponse<String> r = get("/subscribers/" + SUB + "/firewall/counters");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("edge-a did not answer within 300 ms");
    assertThat(reader.outstanding()).isZero();
  }

  @Test
  void agentDisconnectingMidReadIs503() throws Exception {
    script = c -> {
      reader.agentDisconnected("edge-a", "connection reset");
      return null;
    };
    HttpResponse<String> r = get("/subscribers/" + SUB + "/firewall/counters");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("disconnected (connection reset)");
  }

  @Test
  void agentErrorIs502WithItsCode() throws Exception {
    script = c -> fail(c, "STALE_GENERATION", "generation 0 is older than the applied generation 1");
    HttpResponse<String> r = get("/subscribers/" + SUB + "/firewall/counters");
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("agent-error").contains("STALE_GENERATION");
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    assertThat(guestState(guestId)).isEqualTo("RUNNING"); // the failed read did not fail the guest
    script = c -> fail(c, "NOT_FOUND", "no guest " + c.getGuestId());
    assertThat(get("/subscribers/" + SUB + "/firewall/counters").statusCode()).isEqualTo(404);
  }

  @Test
  void withoutCredentialIs401() throws Exception {
    HttpResponse<String> r = call("GET", "/subscribers/" + SUB + "/firewall/counters", null, null, null);
    assertThat(r.statusCode()).isEqualTo(401);
  }
}
