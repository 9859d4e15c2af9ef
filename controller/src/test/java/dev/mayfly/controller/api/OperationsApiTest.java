package dev.mayfly.controller.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mayfly.client.ApiException;
import dev.mayfly.client.model.NfInstanceCreate;
import dev.mayfly.client.model.Operation;
import dev.mayfly.client.model.OperationPage;
import dev.mayfly.client.model.OperationState;
import dev.mayfly.client.model.OperationType;
import dev.mayfly.controller.support.ApiTestBase;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class OperationsApiTest extends ApiTestBase {

  @Test
  void getUnknownIs404AndBadIdIs400() throws Exception {
    assertThatThrownBy(() -> operationsApi.getOperation(UUID.randomUUID()))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(404));
    var bad = call("GET", "/operations/not-a-uuid", null, null);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("\"field\":\"operationId\"");
  }

  @Test
  void listNewestFirstWithFilters() throws Exception {
    registerNode("n1");
    Operation a = instancesApi.createNfInstance(new NfInstanceCreate().nf("counter"));
    Operation b = instancesApi.createNfInstance(new NfInstanceCreate().nf("counter"));
    Operation drain = nodesApi.drainEdgeNode("n1");
    OperationPage all = operationsApi.listOperations(null, null, null, null);
    assertThat(all.getTotal()).isEqualTo(3);
    assertThat(all.getItems().get(0).getId()).isEqualTo(drain.getId());
    assertThat(operationsApi.listOperations(null, null, a.getResource().getId(), null).getItems())
        .extracting(Operation::getId).containsExactly(a.getId());
    assertThat(operationsApi.listOperations(null, null, "n1", null).getItems())
        .extracting(Operation::getType).containsExactly(OperationType.DRAIN);
    assertThat(operationsApi.listOperations(null, null, null, OperationState.RUNNING).getItems())
        .extracting(Operation::getId).containsExactlyInAnyOrder(a.getId(), b.getId());
    OperationPage page1 = operationsApi.listOperations(1, 2, null, null);
    assertThat(page1.getItems()).hasSize(1);
    assertThat(page1.getTotal()).isEqualTo(3);
    get("/operations?resourceId=n1&state=FAILED&page=0&size=10");
    get("/operations/" + a.getId());
  }
}
