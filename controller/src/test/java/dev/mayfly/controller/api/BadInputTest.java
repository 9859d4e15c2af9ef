package dev.mayfly.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mayfly.controller.support.ApiTestBase;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every kind of bad request gets a problem+json naming the field, and writes nothing. */
class BadInputTest extends ApiTestBase {

  @AfterEach
  void nothingWasWritten() {
    assertThat(jdbc.queryForObject("select count(*) from nf_instance", Long.class)).isZero();
    assertThat(jdbc.queryForObject("select count(*) from operation", Long.class)).isZero();
    assertThat(jdbc.queryForObject("select count(*) from nf_descriptor", Long.class)).isEqualTo(2);
  }

  private void expect(int status, String field, HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    assertThat(r.body()).contains("\"status\":" + status);
    if (field != null) {
      assertThat(r.body()).contains("\"field\":\"" + field + "\"");
    }
  }

  @Test
  void malformedJson() throws Exception {
    registerNode("n1");
    expect(400, "(body)", call("POST", "/nf-instances", "application/json", "{\"nf\": \"counter\""));
    expect(400, "(body)", call("POST", "/nf-instances", "application/json", "not json"));
    expect(400, "(body)", call("POST", "/nf-instances", "application/json", ""));
  }

  @Test
  void wrongTypes() throws Exception {
    registerNode("n1");
    expect(400, "ports", call("POST", "/nf-instances", "application/json", "{\"nf\":\"counter\",\"ports\":\"x\"}"));
    expect(400, "labels", call("POST", "/nf-instances", "application/json", "{\"nf\":\"counter\",\"labels\":[1]}"));
    expect(400, "resources.memoryMiB", call("POST", "/network-functions", "application/json",
        "{\"name\":\"x\",\"version\":\"1\",\"ports\":[],\"resources\":{\"memoryMiB\":\"lots\"},\"clickConfig\":\"x\"}"));
  }

  @Test
  void unknownEnumValuesAndFields() throws Exception {
    registerNode("n1");
    var r = call("POST", "/nf-instances", "application/json",
        "{\"nf\":\"counter\",\"constraints\":{\"strategy\":\"RANDOM\"}}");
    expect(400, "constraints.strategy", r);
    assertThat(r.body()).contains("SPREAD").contains("BINPACK");
    expect(400, "colour", call("POST", "/nf-instances", "application/json", "{\"nf\":\"counter\",\"colour\":1}"));
    expect(400, "status", call("GET", "/edge-nodes?status=SLEEPY", null, null));
    expect(400, "state", call("GET", "/nf-instances?state=SLEEPY", null, null));
    expect(400, "state", call("GET", "/operations?state=SLEEPY", null, null));
  }

  @Test
  void missingRequiredFields() throws Exception {
    expect(422, "nf", call("POST", "/nf-instances", "application/json", "{}"));
    expect(422, "ports[0].name", call("POST", "/nf-instances", "application/json",
        "{\"nf\":\"counter\",\"ports\":[{\"bridge\":\"br0\"}]}"));
  }

  @Test
  void badPaginationAndPathParameters() throws Exception {
    expect(400, "size", call("GET", "/edge-nodes?size=501", null, null));
    expect(400, "size", call("GET", "/nf-instances?size=0", null, null));
    expect(400, "page", call("GET", "/network-functions?page=-1", null, null));
    expect(400, "page", call("GET", "/operations?page=abc", null, null));
    expect(400, "instanceId", call("GET", "/nf-instances/123", null, null));
    assertThat(call("GET", "/edge-nodes?size=500", null, null).statusCode()).isEqualTo(200);
  }

  @Test
  void oversizedBodies() throws Exception {
    String big = "{\"nf\":\"" + "a".repeat(70_000) + "\"}";
    expect(413, null, call("POST", "/nf-instances", "application/json", big));
    // chunked (no Content-Length): the limit applies while reading
    var chunked = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/nf-instances"))
        .header("Content-Type", "application/json").header("Authorization", basic("admin", PASSWORD))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes())))
        .build(), HttpResponse.BodyHandlers.ofString());
    expect(413, null, chunked);
  }

  @Test
  void authentication() throws Exception {
    var none = call("GET", "/edge-nodes", null, null, null);
    expect(401, null, none);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"mayfly\"");
    expect(401, null, call("GET", "/edge-nodes", null, null, basic("admin", "wrong")));
    expect(401, null, call("GET", "/edge-nodes", null, null, basic("root", PASSWORD)));
    expect(401, null, call("POST", "/nf-instances", "application/json", "{\"nf\":\"counter\"}", null));
  }

  @Test
  void unknownPathsAndMethods() throws Exception {
    var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/nothing-here"))
        .header("Authorization", basic("admin", PASSWORD)).build(), HttpResponse.BodyHandlers.ofString());
    expect(404, null, r);
    var m = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/edge-nodes"))
        .header("Authorization", basic("admin", PASSWORD)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    expect(405, null, m);
  }
}
