package dev.mayfly.controller.migration;

import dev.mayfly.api.model.HandoverRequest;
import dev.mayfly.api.model.MigrateRequest;
import dev.mayfly.api.model.Operation;
import dev.mayfly.api.server.MobilityApi;
import dev.mayfly.controller.operation.OperationService;
import dev.mayfly.controller.operation.OperationViews;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /subscribers/{id}/handover} and {@code POST /nf-instances/{id}/migrate}. */
@RestController
public class MobilityController implements MobilityApi {

  private final MigrationService migrations;
  private final OperationService operations;

  public MobilityController(MigrationService migrations, OperationService operations) {
    this.migrations = migrations;
    this.operations = operations;
  }

  @Override
  public ResponseEntity<Operation> handoverSubscriber(String subscriberId, HandoverRequest req) {
    UUID op = migrations.handover(subscriberId, req.getTargetNode(), req.getAttachment());
    return OperationViews.accepted(operations.find(op));
  }

  @Override
  public ResponseEntity<Operation> migrateNfInstance(UUID instanceId, MigrateRequest req) {
    UUID op = migrations.migrateInstance(instanceId, req == null ? null : req.getTargetNode());
    return OperationViews.accepted(operations.find(op));
  }
}
