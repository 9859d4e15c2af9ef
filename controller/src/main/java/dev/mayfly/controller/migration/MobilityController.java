package dev.mayfly.controller.migration;

import dev.mayfly.api.model.HandoverRequest;
import dev.mayfly.api.model.MigrateRequest;
import dev.mayfly.api.model.Operation;
import dev.mayfly.api.server.MobilityApi;
import dev.mayfly.controller.operation.OperationService;
import dev.mayfly.controller.operation.OperationViews;
import dev.mayfly.controller.web.ApiProblem;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /subscribers/{id}/handover} and {@code POST /nf-instances/{id}/migrate}. */
@RestController
public class MobilityController implements MobilityApi {

  private final MigrationService migrations;
  private final OperationService operations;
  private final org.springframework.jdbc.core.JdbcTemplate jdbc;

  public MobilityController(MigrationService migrations, OperationService operations,
      org.springframework.jdbc.core.JdbcTemplate jdbc) {
    this.migrations = migrations;
    this.operations = operations;
    this.jdbc = jdbc;
  }

  @Override
  public ResponseEntity<Operation> handoverSubscriber(String subscriberId, HandoverRequest req) {
    UUID op = migrations.handover(subscriberId, req.getTargetNode(), req.getAttachment());
    return OperationViews.accepted(operations.find(op));
  }

  @Override
  public ResponseEntity<Operation> migrateNfInstance(UUID instanceId, MigrateRequest req) {
    Integer n = jdbc.queryForObject("SELECT count(*) FROM nf_instance WHERE id = ?", Integer.class, instanceId);
    if (n == null || n == 0) {
      throw ApiProblem.notFound("NF instance", instanceId.toString());
    }
    if (req.getTargetNode() == null || req.getTargetNode().isBlank()) {
      throw ApiProblem.invalid("targetNode", "is required");
    }
    // Not built yet (docs/handover.md): only personal firewalls migrate, through a handover.
    throw new ApiProblem(HttpStatus.CONFLICT, "not-supported", "Conflict",
        "live migration of NF instances is not implemented yet; personal firewalls move with"
            + " POST /subscribers/{id}/handover", null);
  }
}
