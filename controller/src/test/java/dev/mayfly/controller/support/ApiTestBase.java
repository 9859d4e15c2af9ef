package dev.mayfly.controller.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.client.ApiClient;
import dev.mayfly.client.ApiException;
import dev.mayfly.client.api.CatalogApi;
import dev.mayfly.client.api.EdgeNodesApi;
import dev.mayfly.client.api.NfInstancesApi;
import dev.mayfly.client.api.OperationsApi;
import dev.mayfly.controller.catalog.CatalogSeeder;
import dev.mayfly.controller.reconcile.Reconciler;
import dev.mayfly.controller.reconcile.SouthboundEventHandler;
import dev.mayfly.southbound.v1.Capacity;
import dev.mayfly.southbound.v1.Register;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The controller on a random port against the shared test PostgreSQL, with the southbound
 * server off and a {@link RecordingGateway} in its place. The periodic reconciler and
 * liveness timers are slowed to an hour: tests call {@link Reconciler#reconcileNow()}
 * (changes still kick a pass in the background, as in production). Every test starts
 * from empty tables plus the shipped descriptors.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "mayfly.southbound.enabled=false",
    "mayfly.admin.password=" + ApiTestBase.PASSWORD,
    "mayfly.reconcile.interval=1h",
    "mayfly.reconcile.resend-after=1h",
    "mayfly.reconcile.resend-after-live=3h",
    "mayfly.nodes.liveness-check-interval=1h",
    "mayfly.nodes.heartbeat-timeout=30s",
    "mayfly.api.max-body-bytes=65536",
    "logging.level.org.springframework.test=warn"
})
@Import(ApiTestBase.GatewayConfig.class)
public abstract class ApiTestBase {

  public static final String PASSWORD = "test-secret-1";

  @TestConfiguration(proxyBeanMethods = false)
  static class GatewayConfig {
    @Bean
    @Primary
    RecordingGateway recordingGateway() {
      return new RecordingGateway();
    }
  }

  @DynamicPropertySource
  static void database(DynamicPropertyRegistry r) {
    r.add("mayfly.db.url", TestDatabase::url);
    r.add("mayfly.home", () -> TestDatabase.home().toString());
  }

  @LocalServerPort
  protected int port;
  @Autowired
  protected RecordingGateway gateway;
  @Autowired
  protected SouthboundEventHandler agents;
  @Autowired
  protected Reconciler reconciler;
  @Autowired
  protected JdbcTemplate jdbc;
  @Autowired
  private CatalogSeeder seeder;

  protected ApiClient client;
  protected EdgeNodesApi nodesApi;
  protected CatalogApi catalogApi;
  protected NfInstancesApi instancesApi;
  protected OperationsApi operationsApi;
  protected final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void resetState() throws Exception {
    jdbc.execute("TRUNCATE operation_phase, operation, guest_cleanup, nf_instance, edge_node, nf_descriptor CASCADE");
    seeder.run(null);
    gateway.reset();
    client = new ApiClient();
    client.updateBaseUri("http://127.0.0.1:" + port + "/api/v1");
    client.setRequestInterceptor(b -> b.header("Authorization", basic("admin", PASSWORD)));
    nodesApi = new EdgeNodesApi(client);
    catalogApi = new CatalogApi(client);
    instancesApi = new NfInstancesApi(client);
    operationsApi = new OperationsApi(client);
  }

  protected static String basic(String user, String pw) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + pw).getBytes(StandardCharsets.UTF_8));
  }

  /** What an agent's Register does: the node appears READY, and the gateway treats it as connected. */
  protected void registerNode(String name, int slots, long memoryBytes, Map<String, String> labels) {
    registerNode(name, slots, memoryBytes, labels, "pause");
  }

  protected void registerNode(String name, int slots, long memoryBytes, Map<String, String> labels,
      String... capabilities) {
    gateway.connect(name);
    agents.agentRegistered(name, Register.newBuilder().setNodeName(name).setAgentVersion("test")
        .setDriver("sandbox").addAllCapabilities(List.of(capabilities)).setDataPlaneAddress("127.0.0.1:7500")
        .setCapacity(Capacity.newBuilder().setCpus(2).setMemoryBytes(memoryBytes).setGuestSlots(slots))
        .putAllLabels(labels).build());
  }

  protected void registerNode(String name) {
    registerNode(name, 16, 1L << 30, Map.of());
  }

  /** A raw call, checked against api-spec/openapi.yaml before it is returned. */
  protected HttpResponse<String> call(String method, String path, String contentType, String body,
      String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1" + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    String p = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    List<String> violations = SpecValidator.check(method, p, r.statusCode(),
        r.headers().firstValue("Content-Type").orElse(null), r.body());
    assertThat(violations).as(method + " " + path + " -> " + r.statusCode() + " " + r.body()).isEmpty();
    return r;
  }

  protected HttpResponse<String> call(String method, String path, String contentType, String body) throws Exception {
    return call(method, path, contentType, body, basic("admin", PASSWORD));
  }

  protected HttpResponse<String> get(String path) throws Exception {
    return call("GET", path, null, null);
  }

  /** The problem document of a failed generated-client call. */
  protected static String problemOf(ApiException e) {
    assertThat(e.getResponseHeaders().firstValue("Content-Type").orElse(""))
        .startsWith("application/problem+json");
    return e.getResponseBody();
  }
}
