package dev.mayfly.controller.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.client.model.NfInstanceCreate;
import dev.mayfly.controller.support.ApiTestBase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** GET /api/v1/events against the running controller: node, instance and operation changes arrive. */
class EventsApiTest extends ApiTestBase {

  /** A bound on waiting for an event (the poll runs every second), not a performance claim. */
  private static final long WAIT_S = 20;

  private final HttpClient streamClient = HttpClient.newHttpClient();
  private Stream<String> lines;
  private final BlockingQueue<String[]> events = new LinkedBlockingQueue<>();

  @AfterEach
  void closeStream() {
    if (lines != null) {
      lines.close();
    }
  }

  private void open() throws Exception {
    HttpResponse<Stream<String>> r = streamClient.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/events"))
            .header("Authorization", basic("admin", PASSWORD)).header("Accept", "text/event-stream").build(),
        HttpResponse.BodyHandlers.ofLines());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    lines = r.body();
    Thread t = new Thread(() -> {
      String name = null;
      try {
        for (String line : (Iterable<String>) lines::iterator) {
          if (line.startsWith("event:")) {
            name = line.substring(6).strip();
          } else if (line.startsWith("data:") && name != null) {
            events.add(new String[] {name, line.substring(5).strip()});
            name = null;
          }
        }
      } catch (RuntimeException closed) {
        // stream closed by the test
      }
    }, "events-test-reader");
    t.setDaemon(true);
    t.start();
    assertThat(await(e -> e[0].equals("hello"))[1]).contains("mayfly-events");
  }

  private String[] await(Predicate<String[]> match) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    List<String> seen = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      String[] e = events.poll(200, TimeUnit.MILLISECONDS);
      if (e == null) {
        continue;
      }
      if (match.test(e)) {
        return e;
      }
      seen.add(e[0] + " " + e[1]);
    }
    throw new AssertionError("expected event not seen within " + WAIT_S + " s; saw " + seen);
  }

  @Test
  void nodeInstanceAndOperationChangesAreStreamed() throws Exception {
    open();
    registerNode("ev-a");
    await(e -> e[0].equals("node") && e[1].contains("\"id\":\"ev-a\"") && e[1].contains("\"status\":\"READY\""));

    nodesApi.cordonEdgeNode("ev-a");
    await(e -> e[0].equals("node") && e[1].contains("\"id\":\"ev-a\"") && e[1].contains("\"status\":\"CORDONED\""));
    nodesApi.uncordonEdgeNode("ev-a");

    var op = instancesApi.createNfInstance(new NfInstanceCreate().nf("counter").node("ev-a"));
    String instanceId = op.getResource().getId();
    await(e -> e[0].equals("instance") && e[1].contains(instanceId));
    await(e -> e[0].equals("operation") && e[1].contains(op.getId().toString()) && e[1].contains("INSTANTIATE"));
  }

  @Test
  void streamNeedsTheCredential() throws Exception {
    var r = call("GET", "/events", null, null, null);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("unauthorized");
  }

  @Test
  void dashboardRequestsGetNoBasicChallenge() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/edge-nodes"))
        .header("X-Requested-With", "XMLHttpRequest").timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).isEmpty();
    HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/edge-nodes"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(plain.headers().firstValue("WWW-Authenticate")).contains("Basic realm=\"mayfly\"");
  }
}
