package dev.mayfly.controller.instance;

import dev.mayfly.api.model.InstanceState;
import dev.mayfly.api.model.NfInstance;
import dev.mayfly.api.model.NfInstanceCreate;
import dev.mayfly.api.model.NfInstancePage;
import dev.mayfly.api.model.Operation;
import dev.mayfly.api.server.NfInstancesApi;
import dev.mayfly.controller.operation.OperationViews;
import dev.mayfly.controller.reconcile.ReconcileTrigger;
import dev.mayfly.controller.web.Pages;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Sort;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class NfInstancesController implements NfInstancesApi {

  private final InstanceService instances;
  private final ReconcileTrigger reconcile;

  public NfInstancesController(InstanceService instances, ReconcileTrigger reconcile) {
    this.instances = instances;
    this.reconcile = reconcile;
  }

  @Override
  public ResponseEntity<Operation> createNfInstance(NfInstanceCreate body) {
    var op = instances.create(body);
    reconcile.kick();
    return OperationViews.accepted(op);
  }

  @Override
  public ResponseEntity<Operation> deleteNfInstance(UUID instanceId) {
    var op = instances.delete(instanceId);
    reconcile.kick();
    return OperationViews.accepted(op);
  }

  @Override
  public ResponseEntity<NfInstance> getNfInstance(UUID instanceId) {
    return ResponseEntity.ok(InstanceService.toApi(instances.get(instanceId)));
  }

  @Override
  public ResponseEntity<NfInstancePage> listNfInstances(Integer page, Integer size, String nf, String node,
      InstanceState state) {
    Page<NfInstanceEntity> p = instances.list(nf, node, state == null ? null : state.getValue(),
        Pages.of(page, size, Sort.by("createdAt", "id")));
    return ResponseEntity.ok(new NfInstancePage(p.map(InstanceService::toApi).getContent(), p.getNumber(),
        p.getSize(), p.getTotalElements()));
  }
}
