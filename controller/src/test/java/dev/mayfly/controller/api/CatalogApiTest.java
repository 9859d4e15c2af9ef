package dev.mayfly.controller.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.client.ApiException;
import dev.mayfly.client.model.NfDescriptor;
import dev.mayfly.client.model.NfDescriptorPage;
import dev.mayfly.client.model.NfInstanceCreate;
import dev.mayfly.client.model.NfPort;
import dev.mayfly.client.model.NfResources;
import dev.mayfly.controller.support.ApiTestBase;
import java.util.List;
import org.junit.jupiter.api.Test;

class CatalogApiTest extends ApiTestBase {

  private static NfDescriptor descriptor(String name) {
    return new NfDescriptor().name(name).version("1.2").description("test fw").vendor("acme")
        .ports(List.of(new NfPort().name("access"), new NfPort().name("core")))
        .resources(new NfResources().memoryMiB(16)).clickConfig("FromDevice(access) -> ToDevice(core);");
  }

  @Test
  void shippedDescriptorsAreSeededAndPaginated() throws Exception {
    NfDescriptorPage all = catalogApi.listNetworkFunctions(null, null);
    assertThat(all.getItems()).extracting(NfDescriptor::getName).containsExactly("counter", "passthrough");
    assertThat(all.getTotal()).isEqualTo(2);
    NfDescriptorPage second = catalogApi.listNetworkFunctions(1, 1);
    assertThat(second.getItems()).extracting(NfDescriptor::getName).containsExactly("passthrough");
    assertThat(second.getSize()).isEqualTo(1);
    get("/network-functions?page=0&size=1");
    get("/network-functions/counter");
  }

  @Test
  void onboardJsonThenGetThenDelete() throws Exception {
    var resp = catalogApi.onboardNetworkFunctionWithHttpInfo(descriptor("fw-json"));
    assertThat(resp.getStatusCode()).isEqualTo(201);
    assertThat(resp.getHeaders().get("location")).containsExactly("/api/v1/network-functions/fw-json");
    NfDescriptor got = catalogApi.getNetworkFunction("fw-json");
    assertThat(got.getVersion()).isEqualTo("1.2");
    assertThat(got.getVendor()).isEqualTo("acme");
    assertThat(got.getResources().getMemoryMiB()).isEqualTo(16);
    assertThat(got.getResources().getCpuWeight()).isEqualTo(100);
    assertThat(got.getResources().getPidsMax()).isEqualTo(16);
    assertThat(got.getPorts()).extracting(NfPort::getName).containsExactly("access", "core");
    assertThat(got.getCreatedAt()).isNotNull();

    assertThatThrownBy(() -> catalogApi.onboardNetworkFunction(descriptor("fw-json")))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.getCode()).isEqualTo(409);
          assertThat(problemOf(e)).contains("\"field\":\"name\"");
        });
    var del = call("DELETE", "/network-functions/fw-json", null, null);
    assertThat(del.statusCode()).isEqualTo(204);
    assertThat(call("GET", "/network-functions/fw-json", null, null).statusCode()).isEqualTo(404);
    assertThat(call("DELETE", "/network-functions/fw-json", null, null).statusCode()).isEqualTo(404);
  }

  @Test
  void onboardYamlWithLineNumberedErrors() throws Exception {
    String yaml = """
        name: fw-yaml
        version: "3"
        ports:
          - name: in
        resources:
          memoryMiB: 2
        clickConfig: |
          FromDevice(in) -> Discard;
        """;
    var ok = call("POST", "/network-functions", "application/yaml", yaml);
    assertThat(ok.statusCode()).isEqualTo(201);
    assertThat(catalogApi.getNetworkFunction("fw-yaml").getClickConfig()).contains("Discard");

    String bad = "name: fw-bad\nversion: \"1\"\ncolour: red\nresources:\n  memoryMiB: lots\nclickConfig: x\n";
    var r = call("POST", "/network-functions", "application/yaml", bad);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("\"field\":\"colour\"").contains("line 3")
        .contains("\"field\":\"resources.memoryMiB\"").contains("line 5");
    var syntax = call("POST", "/network-functions", "application/yaml", "name: [unclosed\n");
    assertThat(syntax.statusCode()).isEqualTo(400);
    assertThat(syntax.body()).contains("YAML syntax");
  }

  @Test
  void invalidDescriptorsAre422NamingEachField() throws Exception {
    var r = call("POST", "/network-functions", "application/json",
        "{\"name\":\"Bad Name\",\"version\":\"1\",\"ports\":[{\"name\":\"a\"},{\"name\":\"a\"}],"
            + "\"resources\":{\"memoryMiB\":0},\"clickConfig\":\"x\"}");
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.body()).contains("\"field\":\"name\"").contains("\"field\":\"resources.memoryMiB\"");
    var dup = call("POST", "/network-functions", "application/json",
        "{\"name\":\"ok\",\"version\":\"1\",\"ports\":[{\"name\":\"a\"},{\"name\":\"a\"}],"
            + "\"resources\":{\"memoryMiB\":1},\"clickConfig\":\"x\"}");
    assertThat(dup.statusCode()).isEqualTo(422);
    assertThat(dup.body()).contains("\"field\":\"ports[1].name\"").contains("duplicate");
    var missing = call("POST", "/network-functions", "application/json", "{\"name\":\"ok\"}");
    assertThat(missing.statusCode()).isEqualTo(422);
    assertThat(missing.body()).contains("\"field\":\"version\"").contains("\"field\":\"clickConfig\"")
        .contains("\"field\":\"resources\"");
    var click = call("POST", "/network-functions", "application/json",
        "{\"name\":\"ok\",\"version\":\"1\",\"ports\":[{\"name\":\"in\"}],"
            + "\"resources\":{\"memoryMiB\":1},\"clickConfig\":\"FromDevice(in)\\n  -> Frobnicate -> Discard;\"}");
    assertThat(click.statusCode()).isEqualTo(422);
    assertThat(click.body()).contains("\"field\":\"clickConfig\"").contains("config:2: unknown element class 'Frobnicate'");
    var media = call("POST", "/network-functions", "text/plain", "name: x");
    assertThat(media.statusCode()).isEqualTo(415);
    assertThat(catalogApi.listNetworkFunctions(null, null).getTotal()).isEqualTo(2);
  }

  @Test
  void aDescriptorInUseCannotBeDeleted() throws Exception {
    catalogApi.onboardNetworkFunction(descriptor("fw-used"));
    registerNode("n1");
    instancesApi.createNfInstance(new NfInstanceCreate().nf("fw-used"));
    var r = call("DELETE", "/network-functions/fw-used", null, null);
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.body()).contains("in-use");
    assertThat(catalogApi.getNetworkFunction("fw-used").getName()).isEqualTo("fw-used");
  }
}
