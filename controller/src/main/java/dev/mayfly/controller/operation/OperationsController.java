package dev.mayfly.controller.operation;

import dev.mayfly.api.model.Operation;
import dev.mayfly.api.model.OperationPage;
import dev.mayfly.api.model.OperationState;
import dev.mayfly.api.server.OperationsApi;
import dev.mayfly.controller.web.ApiProblem;
import dev.mayfly.controller.web.Pages;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Sort;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class OperationsController implements OperationsApi {

  private final OperationRepository repo;

  public OperationsController(OperationRepository repo) {
    this.repo = repo;
  }

  @Override
  @Transactional(readOnly = true)
  public ResponseEntity<Operation> getOperation(UUID operationId) {
    return repo.findById(operationId).map(OperationViews::toApi).map(ResponseEntity::ok)
        .orElseThrow(() -> ApiProblem.notFound("operation", operationId.toString()));
  }

  @Override
  @Transactional(readOnly = true)
  public ResponseEntity<OperationPage> listOperations(Integer page, Integer size, String resourceId,
      OperationState state) {
    Page<OperationEntity> p = repo.search(resourceId, state == null ? null : state.getValue(),
        Pages.of(page, size, Sort.by(Sort.Order.desc("startTime"), Sort.Order.asc("id"))));
    return ResponseEntity.ok(new OperationPage(p.map(OperationViews::toApi).getContent(), p.getNumber(),
        p.getSize(), p.getTotalElements()));
  }
}
