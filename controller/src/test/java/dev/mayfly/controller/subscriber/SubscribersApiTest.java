package dev.mayfly.controller.subscriber;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.mayfly.client.ApiException;
import dev.mayfly.client.api.SubscribersApi;
import dev.mayfly.client.model.FirewallAction;
import dev.mayfly.client.model.FirewallPolicy;
import dev.mayfly.client.model.FirewallRule;
import dev.mayfly.client.model.FirewallState;
import dev.mayfly.client.model.FirewallStatus;
import dev.mayfly.client.model.OperationState;
import dev.mayfly.client.model.Subscriber;
import dev.mayfly.client.model.SubscriberBatch;
import dev.mayfly.client.model.SubscriberBatchItem;
import dev.mayfly.client.model.SubscriberBatchRequest;
import dev.mayfly.client.model.SubscriberCreate;
import dev.mayfly.client.model.SubscriberFirewall;
import dev.mayfly.client.model.SubscriberUpdate;
import dev.mayfly.controller.firewall.FirewallProvisioner;
import dev.mayfly.controller.support.ApiTestBase;
import dev.mayfly.southbound.v1.Command;
import dev.mayfly.southbound.v1.CommandResult;
import dev.mayfly.southbound.v1.GuestState;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The subscriber, policy and bulk API through the generated client (responses checked
 * against openapi.yaml where raw calls are used), with the recording gateway standing in
 * for the agents: the commands the provisioner sends are inspected and answered by hand.
 */
class SubscribersApiTest extends ApiTestBase {

  @Autowired
  FirewallProvisioner provisioner;

  SubscribersApi api;

  @BeforeEach
  void setUp() {
    jdbc.execute("TRUNCATE subscriber, subscriber_batch, firewall_guest");
    api = new SubscribersApi(client);
    registerNode("edge-a");
    registerNode("edge-b");
  }

  /** Leave nothing behind that the provisioner could act on in other test classes (shared context). */
  @AfterEach
  void tearDown() throws Exception {
    jdbc.execute("TRUNCATE subscriber, subscriber_batch, firewall_guest");
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    jdbc.execute("TRUNCATE subscriber, subscriber_batch, firewall_guest");
  }

  static SubscriberCreate sub(String id, String ip, String node, String att) {
    return new SubscriberCreate().id(id).ueIp(ip).edgeNode(node).attachment(att);
  }

  static FirewallRule rule(FirewallAction a, FirewallRule.DirectionEnum d, FirewallRule.ProtocolEnum p, String cidr,
      Integer from, Integer to) {
    return new FirewallRule().action(a).direction(d).protocol(p).remoteCidr(cidr).portFrom(from).portTo(to);
  }

  static FirewallPolicy webOnly() {
    return new FirewallPolicy().rules(new ArrayList<>(List.of(
        rule(FirewallAction.ALLOW, FirewallRule.DirectionEnum.OUTBOUND, FirewallRule.ProtocolEnum.TCP, "10.77.0.0/17",
            80, null),
        rule(FirewallAction.ALLOW, FirewallRule.DirectionEnum.OUTBOUND, FirewallRule.ProtocolEnum.ICMP, null, null,
            null)))).defaultOutbound(FirewallAction.DENY).defaultInbound(FirewallAction.DENY).stateful(true);
  }

  List<Command> commands(String node) throws Exception {
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
    return gateway.sentTo(node);
  }

  void answer(String node, Command c, boolean ok) throws Exception {
    CommandResult.Builder r = CommandResult.newBuilder().setCommandId(c.getCommandId()).setGuestId(c.getGuestId())
        .setGeneration(c.getGeneration()).setOk(ok);
    if (ok) {
      r.setState(c.hasDestroy() ? GuestState.DESTROYED : GuestState.RUNNING);
    } else {
      r.setErrorCode("CONFIG_REJECTED").setErrorMessage("config:3: boom");
    }
    provisioner.commandResult(node, r.build());
    assertThat(provisioner.awaitIdle(10_000)).isTrue();
  }

  static String field(ApiException e) {
    return e.getResponseBody();
  }

  ApiException fails(ThrowingCall c) {
    ApiException e = catchThrowableOfType(ApiException.class, c::run);
    assertThat(e).as("expected an API error").isNotNull();
    assertThat(e.getResponseHeaders().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    return e;
  }

  interface ThrowingCall {
    void run() throws Exception;
  }

  int count(String table) {
    return jdbc.queryForObject("SELECT count(*) FROM " + table, Integer.class);
  }

  // ------------------------------------------------------------------ subscribers

  @Test
  void createGetListUpdateDelete() throws Exception {
    Subscriber s = api.createSubscriber(sub("001010000000001", "10.77.1.1", "edge-a", "ue1"));
    assertThat(s.getFirewall().getState()).isEqualTo(FirewallState.NONE);
    assertThat(s.getFirewall().getMode()).isEqualTo(FirewallStatus.ModeEnum.BLOCKED);
    assertThat(s.getHasPolicy()).isFalse();
    api.createSubscriber(sub("imsi-001010000000002", "10.77.1.2", "edge-b", "ue2"));
    api.createSubscriber(sub("supi-999990000000003", "10.77.1.3", "edge-a", "ue3"));
    assertThat(api.getSubscriber("imsi-001010000000002").getEdgeNode()).isEqualTo("edge-b");
    assertThat(api.listSubscribers(null, null, null, null, null).getTotal()).isEqualTo(3);
    assertThat(api.listSubscribers(null, null, "edge-a", null, null).getItems()).extracting(Subscriber::getId)
        .containsExactly("001010000000001", "supi-999990000000003");
    assertThat(api.listSubscribers(null, null, null, "10.77.1.2", null).getItems()).extracting(Subscriber::getId)
        .containsExactly("imsi-001010000000002");
    assertThat(api.listSubscribers(null, null, null, null, "imsi-").getItems()).hasSize(1);
    assertThat(api.listSubscribers(null, null, null, null, "%").getItems()).isEmpty();
    var page = api.listSubscribers(1, 2, null, null, null);
    assertThat(page.getItems()).hasSize(1);
    assertThat(page.getTotal()).isEqualTo(3);
    HttpResponse<String> raw = get("/subscribers?node=edge-a");
    assertThat(raw.statusCode()).isEqualTo(200);
    HttpResponse<String> big = get("/subscribers?size=501");
    assertThat(big.statusCode()).isEqualTo(400);
    assertThat(big.body()).contains("\"field\":\"size\"");

    Subscriber u = api.updateSubscriber("001010000000001",
        new SubscriberUpdate().ueIp("10.77.1.9").edgeNode("edge-b").attachment("ue9").failOpen(true));
    assertThat(u.getUeIp()).isEqualTo("10.77.1.9");
    assertThat(u.getFailOpen()).isTrue();
    api.deleteSubscriber("001010000000001");
    ApiException e = fails(() -> api.getSubscriber("001010000000001"));
    assertThat(e.getCode()).isEqualTo(404);
    assertThat(fails(() -> api.deleteSubscriber("001010000000001")).getCode()).isEqualTo(404);
  }

  @Test
  void badSubscriberFieldsAreNamed() throws Exception {
    for (String bad : List.of("12345", "abc123456", "imsi-1234567890123456", "IMSI-001010000000001", "tel-123456")) {
      ApiException e = fails(() -> api.createSubscriber(sub(bad, "10.77.1.1", "edge-a", "ue1")));
      assertThat(e.getCode()).as(bad).isEqualTo(422);
      assertThat(field(e)).contains("\"field\":\"id\"");
    }
    ApiException ip = fails(() -> api.createSubscriber(sub("001010000000001", "10.77.1.300", "edge-a", "ue1")));
    assertThat(ip.getCode()).isEqualTo(422);
    assertThat(field(ip)).contains("\"field\":\"ueIp\"");
    ApiException node = fails(() -> api.createSubscriber(sub("001010000000001", "10.77.1.1", "edge-z", "ue1")));
    assertThat(field(node)).contains("\"field\":\"edgeNode\"").contains("edge-z");
    ApiException att = fails(() -> api.createSubscriber(sub("001010000000001", "10.77.1.1", "edge-a",
        "a-much-too-long-ifname")));
    assertThat(field(att)).contains("\"field\":\"attachment\"");
    HttpResponse<String> missing = call("POST", "/subscribers", "application/json", "{\"id\":\"001010000000001\"}");
    assertThat(missing.statusCode()).isIn(400, 422);
    assertThat(missing.body()).contains("ueIp");
    assertThat(count("subscriber")).isZero();
  }

  @Test
  void duplicatesAndAddressesInUseAre409() throws Exception {
    api.createSubscriber(sub("001010000000001", "10.77.1.1", "edge-a", "ue1"));
    ApiException dup = fails(() -> api.createSubscriber(sub("001010000000001", "10.77.1.2", "edge-a", "ue2")));
    assertThat(dup.getCode()).isEqualTo(409);
    assertThat(field(dup)).contains("\"field\":\"id\"");
    ApiException ip = fails(() -> api.createSubscriber(sub("001010000000002", "10.77.1.1", "edge-a", "ue2")));
    assertThat(ip.getCode()).isEqualTo(409);
    assertThat(field(ip)).contains("\"field\":\"ueIp\"").contains("001010000000001");
    ApiException att = fails(() -> api.createSubscriber(sub("001010000000002", "10.77.1.2", "edge-a", "ue1")));
    assertThat(att.getCode()).isEqualTo(409);
    assertThat(field(att)).contains("\"field\":\"attachment\"");
    // the same attachment name on another node is fine
    api.createSubscriber(sub("001010000000002", "10.77.1.2", "edge-b", "ue1"));
    ApiException upd = fails(() -> api.updateSubscriber("001010000000002",
        new SubscriberUpdate().ueIp("10.77.1.1").edgeNode("edge-b").attachment("ue1")));
    assertThat(upd.getCode()).isEqualTo(409);
    assertThat(field(upd)).contains("\"field\":\"ueIp\"");
    assertThat(count("subscriber")).isEqualTo(2);
  }

  // ------------------------------------------------------------------ policies

  @Test
  void badPoliciesNameTheRule() throws Exception {
    api.createSubscriber(sub("001010000000001", "10.77.1.1", "edge-a", "ue1"));
    String path = "/subscribers/001010000000001/policy";
    record Case(String rules, int status, String field) {}
    List<Case> cases = List.of(
        new Case("[{\"action\":\"ALLOW\",\"direction\":\"OUTBOUND\",\"protocol\":\"TCP\"},"
            + "{\"action\":\"ALLOW\",\"direction\":\"OUTBOUND\",\"protocol\":\"TCP\",\"remoteCidr\":\"10.0.0.300/8\"}]",
            422, "rules[1].remoteCidr"),
        new Case("[{\"action\":\"ALLOW\",\"direction\":\"OUTBOUND\",\"protocol\":\"TCP\",\"remoteCidr\":\"10.0.0.1/8\"}]",
            422, "rules[0].remoteCidr"),
        new Case("[{\"action\":\"ALLOW\",\"direction\":\"OUTBOUND\",\"protocol\":\"TCP\",\"remoteCidr\":\"10.0.0.0/33\"}]",
            422, "rules[0].remoteCidr"),
        new Case("[{\"action\":\"ALLOW\",\"direction\":\"OUTBOUND\",\"protocol\":\"TCP\",\"portFrom\":90,\"portTo\":80}]",
            422, "rules[0].portTo"),
        new Case("[{\"action\":\"ALLOW\",\"direction\":\"OUTBOUND\",\"protocol\":\"TCP\",\"portFrom\":70000}]",
            422, "rules[0].portFrom"),
        new Case("[{\"action\":\"ALLOW\",\"direction\":\"OUTBOUND\",\"protocol\":\"TCP\",\"portTo\":80}]",
            422, "rules[0].portTo"),
        new Case("[{\"action\":\"ALLOW\",\"direction\":\"OUTBOUND\",\"protocol\":\"ICMP\",\"portFrom\":80}]",
            422, "rules[0].portFrom"),
        new Case("[{\"action\":\"ALLOW\",\"direction\":\"OUTBOUND\",\"protocol\":\"SCTP\"}]", 400, "rules[0].protocol"),
        new Case("[{\"action\":\"ALLOW\",\"direction\":\"SIDEWAYS\",\"protocol\":\"TCP\"}]", 400, "rules[0].direction"),
        new Case("[{\"direction\":\"OUTBOUND\",\"protocol\":\"TCP\"}]", 422, "rules[0].action"),
        new Case("[null]", 422, "rules[0]"));
    for (Case c : cases) {
      HttpResponse<String> r = call("PUT", path, "application/json", "{\"rules\":" + c.rules() + "}");
      assertThat(r.statusCode()).as(c.rules()).isEqualTo(c.status());
      assertThat(r.body()).as(c.rules()).contains("\"field\":\"" + c.field() + "\"");
    }
    StringBuilder many = new StringBuilder("[");
    for (int i = 0; i < 257; i++) {
      many.append(i > 0 ? "," : "").append("{\"action\":\"ALLOW\",\"direction\":\"OUTBOUND\",\"protocol\":\"TCP\",")
          .append("\"portFrom\":").append(i + 1).append('}');
    }
    HttpResponse<String> r = call("PUT", path, "application/json", "{\"rules\":" + many + "]}");
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.body()).contains("\"field\":\"rules\"").contains("256");
    // nothing was stored, nothing was sent
    SubscriberFirewall f = api.getSubscriberPolicy("001010000000001");
    assertThat(f.getPolicy()).isNull();
    assertThat(f.getGeneration()).isEqualTo(1);
    assertThat(commands("edge-a")).isEmpty();
    // unknown subscriber
    ApiException unknown = fails(() -> api.putSubscriberPolicy("001010000000077", webOnly()));
    assertThat(unknown.getCode()).isEqualTo(404);
    assertThat(field(unknown)).contains("\"field\":\"subscriberId\"");
    assertThat(fails(() -> api.getSubscriberPolicy("001010000000077")).getCode()).isEqualTo(404);
    assertThat(fails(() -> api.deleteSubscriberPolicy("001010000000077")).getCode()).isEqualTo(404);
  }

  @Test
  void policyLifecycleDrivesTheGuest() throws Exception {
    api.createSubscriber(sub("001010000000001", "10.77.1.1", "edge-a", "ue1"));
    SubscriberFirewall put = api.putSubscriberPolicy("001010000000001", webOnly());
    assertThat(put.getGeneration()).isEqualTo(2);
    List<Command> sent = commands("edge-a");
    assertThat(sent).hasSize(1);
    Command create = sent.get(0);
    assertThat(create.hasCreate()).isTrue();
    assertThat(create.getGuestId()).startsWith("fw-");
    var spec = create.getCreate().getSpec();
    assertThat(spec.getPortsList()).extracting(p -> p.getName() + "=" + p.getXconnect() + "/" + p.getBridge())
        .containsExactly("access=ue1/", "core=/mfcore0");
    assertThat(spec.getClickConfig()).contains("out_filter :: IPFilter(").contains("deny not src host 10.77.1.1")
        .contains("dst tcp port 80").contains("FlowFirewall");
    assertThat(spec.getMemoryBytes()).isEqualTo(16L << 20);
    assertThat(spec.getLabelsMap()).containsEntry("mayfly.subscriber", "001010000000001");
    assertThat(api.getSubscriberPolicy("001010000000001").getFirewall().getState()).isEqualTo(FirewallState.PENDING);

    answer("edge-a", create, true);
    FirewallStatus st = api.getSubscriberPolicy("001010000000001").getFirewall();
    assertThat(st.getState()).isEqualTo(FirewallState.RUNNING);
    assertThat(st.getAppliedGeneration()).isEqualTo(2);
    assertThat(st.getGuestId()).isEqualTo(create.getGuestId());

    // live update: two handler writes, each with its own generation, no new guest
    FirewallPolicy p2 = webOnly();
    p2.getRules().add(rule(FirewallAction.ALLOW, FirewallRule.DirectionEnum.OUTBOUND, FirewallRule.ProtocolEnum.UDP,
        null, 53, null));
    assertThat(api.putSubscriberPolicy("001010000000001", p2).getGeneration()).isEqualTo(3);
    sent = commands("edge-a");
    assertThat(sent).hasSize(3);
    Command w1 = sent.get(1);
    Command w2 = sent.get(2);
    assertThat(w1.getWriteHandler().getHandler()).isEqualTo("out_filter.config");
    assertThat(w1.getWriteHandler().getValue()).contains("dst udp port 53");
    assertThat(w2.getWriteHandler().getHandler()).isEqualTo("in_filter.config");
    assertThat(w1.getGuestId()).isEqualTo(create.getGuestId());
    assertThat(w2.getGeneration()).isEqualTo(w1.getGeneration() + 1).isGreaterThan(create.getGeneration());
    assertThat(api.getSubscriberPolicy("001010000000001").getFirewall().getState()).isEqualTo(FirewallState.UPDATING);
    answer("edge-a", w1, true);
    answer("edge-a", w2, true);
    st = api.getSubscriberPolicy("001010000000001").getFirewall();
    assertThat(st.getState()).isEqualTo(FirewallState.RUNNING);
    assertThat(st.getAppliedGeneration()).isEqualTo(3);

    // a stateless policy cannot be written live: the guest is replaced
    FirewallPolicy p3 = webOnly().stateful(false);
    api.putSubscriberPolicy("001010000000001", p3);
    sent = commands("edge-a");
    assertThat(sent).hasSize(5);
    assertThat(sent.get(3).hasDestroy()).isTrue();
    assertThat(sent.get(3).getGuestId()).isEqualTo(create.getGuestId());
    assertThat(sent.get(4).hasCreate()).isTrue();
    assertThat(sent.get(4).getCreate().getSpec().getClickConfig()).doesNotContain("FlowFirewall");
    answer("edge-a", sent.get(3), true);
    answer("edge-a", sent.get(4), true);
    assertThat(count("firewall_guest")).isEqualTo(1);

    // delete: fail closed, the guest goes
    SubscriberFirewall del = api.deleteSubscriberPolicy("001010000000001");
    assertThat(del.getFirewall().getMode()).isEqualTo(FirewallStatus.ModeEnum.BLOCKED);
    sent = commands("edge-a");
    assertThat(sent).hasSize(6);
    assertThat(sent.get(5).hasDestroy()).isTrue();
    answer("edge-a", sent.get(5), true);
    assertThat(api.getSubscriberPolicy("001010000000001").getFirewall().getState()).isEqualTo(FirewallState.NONE);
    assertThat(count("firewall_guest")).isZero();
  }

  @Test
  void aPolicyTooBigForTheHandlerAreaReplacesTheGuest() throws Exception {
    api.createSubscriber(sub("001010000000001", "10.77.1.1", "edge-a", "ue1").policy(webOnly()));
    Command create = commands("edge-a").get(0);
    answer("edge-a", create, true);
    FirewallPolicy big = webOnly();
    for (int i = 0; i < 150; i++) {
      big.getRules().add(rule(FirewallAction.ALLOW, FirewallRule.DirectionEnum.OUTBOUND, FirewallRule.ProtocolEnum.TCP,
          "10.78." + i + ".0/24", 1000 + i, null));
    }
    api.putSubscriberPolicy("001010000000001", big);
    List<Command> sent = commands("edge-a");
    assertThat(sent).hasSize(3);
    assertThat(sent.get(1).hasDestroy()).isTrue();
    assertThat(sent.get(1).getGuestId()).isEqualTo(create.getGuestId());
    assertThat(sent.get(2).hasCreate()).isTrue();
    assertThat(sent.get(2).getCreate().getSpec().getClickConfig()).contains("dst net 10.78.149.0/24");
    answer("edge-a", sent.get(1), true);
    answer("edge-a", sent.get(2), true);
    FirewallStatus st = api.getSubscriberPolicy("001010000000001").getFirewall();
    assertThat(st.getState()).isEqualTo(FirewallState.RUNNING);
    assertThat(st.getGuestId()).isEqualTo(sent.get(2).getGuestId());
  }

  @Test
  void agentRefusalIsReportedAndANewPutRetries() throws Exception {
    api.createSubscriber(sub("001010000000001", "10.77.1.1", "edge-a", "ue1").policy(webOnly()));
    Command create = commands("edge-a").get(0);
    answer("edge-a", create, false);
    FirewallStatus st = api.getSubscriberPolicy("001010000000001").getFirewall();
    assertThat(st.getState()).isEqualTo(FirewallState.FAILED);
    assertThat(st.getError()).contains("config:3: boom");
    api.putSubscriberPolicy("001010000000001", webOnly());
    List<Command> sent = commands("edge-a");
    assertThat(sent).hasSize(3);
    assertThat(sent.get(1).hasDestroy()).isTrue();
    assertThat(sent.get(2).hasCreate()).isTrue();
    assertThat(sent.get(2).getGuestId()).isNotEqualTo(create.getGuestId());
  }

  @Test
  void failOpenGetsAPassAllGuestAndDeletingTheSubscriberDestroysIt() throws Exception {
    api.createSubscriber(sub("001010000000001", "10.77.1.1", "edge-a", "ue1").failOpen(true));
    Subscriber s = api.getSubscriber("001010000000001");
    assertThat(s.getFirewall().getMode()).isEqualTo(FirewallStatus.ModeEnum.FAIL_OPEN);
    Command create = commands("edge-a").get(0);
    assertThat(create.getCreate().getSpec().getClickConfig()).contains("allow all");
    answer("edge-a", create, true);
    api.deleteSubscriber("001010000000001");
    List<Command> sent = commands("edge-a");
    assertThat(sent).hasSize(2);
    assertThat(sent.get(1).hasDestroy()).isTrue();
    answer("edge-a", sent.get(1), true);
    assertThat(count("firewall_guest")).isZero();
  }

  @Test
  void coreBridgeComesFromTheNodeLabel() throws Exception {
    registerNode("edge-lbl", 16, 1L << 30, Map.of("mayfly.core-bridge", "brcore7"));
    api.createSubscriber(sub("001010000000001", "10.77.1.1", "edge-lbl", "ue1").policy(webOnly()));
    Command create = commands("edge-lbl").get(0);
    assertThat(create.getCreate().getSpec().getPorts(1).getBridge()).isEqualTo("brcore7");
  }

  @Test
  void severalCoreBridgesSpreadTheGuests() throws Exception {
    registerNode("edge-many", 16, 1L << 30, Map.of("mayfly.core-bridge", "mfcore0:mfcore1:mfcore2"));
    for (int i = 0; i < 12; i++) {
      api.createSubscriber(sub(String.format("0010400000%05d", i), "10.77.2." + (i + 1), "edge-many", "a" + i)
          .policy(webOnly()));
    }
    List<String> bridges = commands("edge-many").stream()
        .map(c -> c.getCreate().getSpec().getPorts(1).getBridge()).distinct().sorted().toList();
    assertThat(bridges).hasSizeGreaterThan(1).isSubsetOf("mfcore0", "mfcore1", "mfcore2");
  }

  @Test
  void anAgentThatPicksTheCoreBridgeGetsThemAll() throws Exception {
    // capability bridge-choice: the agent takes the bridge its pooled shell joined at prepare
    registerNode("edge-pick", 16, 1L << 30, Map.of("mayfly.core-bridge", "mfcore0:mfcore1:mfcore2"),
        "pause", "bridge-choice");
    registerNode("edge-one", 16, 1L << 30, Map.of("mayfly.core-bridge", "brcore9"), "pause", "bridge-choice");
    api.createSubscriber(sub("001040000000101", "10.77.3.1", "edge-pick", "p1").policy(webOnly()));
    api.createSubscriber(sub("001040000000102", "10.77.3.2", "edge-one", "p2").policy(webOnly()));
    assertThat(commands("edge-pick").get(0).getCreate().getSpec().getPorts(1).getBridge())
        .isEqualTo("mfcore0:mfcore1:mfcore2");
    assertThat(commands("edge-one").get(0).getCreate().getSpec().getPorts(1).getBridge()).isEqualTo("brcore9");
  }

  @Test
  void movingTheSubscriberReplacesTheGuest() throws Exception {
    api.createSubscriber(sub("001010000000001", "10.77.1.1", "edge-a", "ue1").policy(webOnly()));
    Command create = commands("edge-a").get(0);
    answer("edge-a", create, true);
    api.updateSubscriber("001010000000001", new SubscriberUpdate().ueIp("10.77.1.1").edgeNode("edge-b")
        .attachment("ue7"));
    List<Command> a = commands("edge-a");
    assertThat(a.get(a.size() - 1).hasDestroy()).isTrue();
    List<Command> b = gateway.sentTo("edge-b");
    assertThat(b).hasSize(1);
    assertThat(b.get(0).getCreate().getSpec().getPorts(0).getXconnect()).isEqualTo("ue7");
  }

  // ------------------------------------------------------------------ bulk

  List<SubscriberCreate> items(int n) {
    List<SubscriberCreate> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(sub(String.format("00101%010d", i), "10.77." + (16 + i / 250) + "." + (1 + i % 250),
          i % 2 == 0 ? "edge-a" : "edge-b", "b" + i).policy(webOnly()));
    }
    return out;
  }

  @Test
  void bulkAppliesTheGoodItemsAndReportsTheBadOnes() throws Exception {
    api.createSubscriber(sub("001019999999999", "10.77.9.9", "edge-a", "x9"));
    List<SubscriberCreate> items = items(6);
    items.get(1).getPolicy().getRules().get(0).remoteCidr("10.77.0.0/99");
    items.get(3).ueIp(items.get(2).getUeIp());
    items.get(4).id("001019999999999");
    SubscriberBatch b = api.createSubscriberBatch(new SubscriberBatchRequest().items(items));
    assertThat(b.getTotal()).isEqualTo(6);
    assertThat(b.getAccepted()).isEqualTo(3);
    assertThat(b.getRejected()).isEqualTo(3);
    assertThat(b.getState()).isEqualTo(OperationState.RUNNING);
    assertThat(b.getItems()).extracting(SubscriberBatchItem::getIndex).containsExactly(0, 1, 2, 3, 4, 5);
    assertThat(b.getItems().get(1).getResult()).isEqualTo(SubscriberBatchItem.ResultEnum.REJECTED);
    assertThat(b.getItems().get(1).getErrors()).extracting(e -> e.getField())
        .containsExactly("items[1].policy.rules[0].remoteCidr");
    assertThat(b.getItems().get(3).getErrors()).extracting(e -> e.getField()).containsExactly("items[3].ueIp");
    assertThat(b.getItems().get(4).getErrors()).extracting(e -> e.getField()).containsExactly("items[4].id");
    assertThat(count("subscriber")).isEqualTo(4);
    // each good item got its guest; answering them finishes the batch
    List<Command> all = new ArrayList<>(commands("edge-a"));
    all.addAll(gateway.sentTo("edge-b"));
    assertThat(all).hasSize(3).allMatch(Command::hasCreate);
    for (Command c : commands("edge-a")) {
      answer("edge-a", c, true);
    }
    for (Command c : gateway.sentTo("edge-b")) {
      answer("edge-b", c, true);
    }
    SubscriberBatch done = api.getSubscriberBatch(b.getId(), null);
    assertThat(done.getRunning()).isEqualTo(3);
    assertThat(done.getState()).isEqualTo(OperationState.FAILED); // final, with rejected items
    assertThat(done.getEndTime()).isNotNull();
    assertThat(done.getItems().get(0).getResult()).isEqualTo(SubscriberBatchItem.ResultEnum.RUNNING);
    // the same counts without the items, or with the bad ones only
    SubscriberBatch counts = api.getSubscriberBatch(b.getId(), "none");
    assertThat(counts.getItems()).isEmpty();
    assertThat(counts.getRunning()).isEqualTo(3);
    assertThat(counts.getRejected()).isEqualTo(3);
    assertThat(counts.getState()).isEqualTo(OperationState.FAILED);
    assertThat(api.getSubscriberBatch(b.getId(), "failed").getItems()).extracting(SubscriberBatchItem::getIndex)
        .containsExactly(1, 3, 4);
    ApiException bad = fails(() -> api.getSubscriberBatch(b.getId(), "some"));
    assertThat(bad.getCode()).isEqualTo(400);
    assertThat(field(bad)).contains("\"field\":\"items\"");
  }

  @Test
  void atomicBulkAppliesNothingWhenOneItemIsBad() throws Exception {
    List<SubscriberCreate> items = items(4);
    items.get(2).getPolicy().getRules().get(0).portFrom(0);
    ApiException e = fails(() -> api.createSubscriberBatch(new SubscriberBatchRequest().atomic(true).items(items)));
    assertThat(e.getCode()).isEqualTo(422);
    assertThat(field(e)).contains("\"field\":\"items[2].policy.rules[0].portFrom\"");
    assertThat(count("subscriber")).isZero();
    assertThat(count("subscriber_batch")).isZero();
    // conflicts only: 409
    api.createSubscriber(sub("001010000000000", "10.77.99.1", "edge-a", "zz"));
    ApiException c = fails(() -> api.createSubscriberBatch(new SubscriberBatchRequest().atomic(true)
        .items(items(2))));
    assertThat(c.getCode()).isEqualTo(409);
    assertThat(field(c)).contains("\"field\":\"items[0].id\"");
    assertThat(count("subscriber")).isEqualTo(1);
    // all good: everything applied, the batch succeeds once the guests run
    SubscriberBatch ok = api.createSubscriberBatch(new SubscriberBatchRequest().atomic(true).items(items(3).subList(1, 3)));
    assertThat(ok.getAccepted()).isEqualTo(2);
    for (Command cmd : commands("edge-a")) {
      answer("edge-a", cmd, true);
    }
    for (Command cmd : gateway.sentTo("edge-b")) {
      answer("edge-b", cmd, true);
    }
    assertThat(api.getSubscriberBatch(ok.getId(), null).getState()).isEqualTo(OperationState.SUCCEEDED);
  }

  @Test
  void bulkLimits() throws Exception {
    ApiException empty = fails(() -> api.createSubscriberBatch(new SubscriberBatchRequest().items(new ArrayList<>())));
    assertThat(empty.getCode()).isEqualTo(422);
    assertThat(field(empty)).contains("\"field\":\"items\"");
    StringBuilder sb = new StringBuilder("{\"items\":[");
    for (int i = 0; i < 10_001; i++) {
      sb.append(i > 0 ? "," : "").append("{\"id\":\"").append(String.format("00101%010d", i))
          .append("\",\"ueIp\":\"10.1.1.1\",\"edgeNode\":\"edge-a\",\"attachment\":\"x\"}");
    }
    HttpResponse<String> r = call("POST", "/subscriber-batches", "application/json", sb.append("]}").toString());
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.body()).contains("\"field\":\"items\"").contains("10000");
    assertThat(fails(() -> api.getSubscriberBatch(java.util.UUID.randomUUID(), null)).getCode()).isEqualTo(404);
    assertThat(count("subscriber")).isZero();
  }
}
