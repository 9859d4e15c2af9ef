package dev.mayfly.controller.operation;

import dev.mayfly.api.model.FieldError;
import dev.mayfly.controller.config.Json;
import dev.mayfly.controller.operation.OperationEntity.Phase;
import dev.mayfly.controller.operation.OperationEntity.ResourceType;
import dev.mayfly.controller.operation.OperationEntity.State;
import dev.mayfly.controller.operation.OperationEntity.Type;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Creates operations and moves them to their final state; counts every final state in
 * the {@code mayfly.operations} counter (tags type, state). Callers run inside their own
 * transaction (MANDATORY): an operation changes together with the resource it is about.
 */
@Service
public class OperationService {

  private final OperationRepository repo;
  private final MeterRegistry meters;

  public OperationService(OperationRepository repo, MeterRegistry meters) {
    this.repo = repo;
    this.meters = meters;
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public OperationEntity start(Type type, ResourceType rt, String resourceId, Instant now) {
    OperationEntity op = new OperationEntity(type, rt, resourceId, now);
    meters.counter("mayfly.operations.started", "type", type.name()).increment();
    return repo.save(op);
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public void succeed(OperationEntity op, Instant now) {
    finish(op, State.SUCCEEDED, now);
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public void fail(OperationEntity op, Instant now, int status, String title, String detail, List<FieldError> fields) {
    op.setError(status, title, detail, fields == null || fields.isEmpty() ? null
        : Json.write(fields.stream().map(f -> Map.of("field", f.getField(), "message", f.getMessage())).toList()));
    for (Phase p : op.phases()) {
      if (p.state() == State.RUNNING) {
        op.finishPhase(p.name(), State.FAILED, now, null);
      }
    }
    finish(op, State.FAILED, now);
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public void rollBack(OperationEntity op, Instant now, String detail) {
    op.setError(409, "Superseded", detail, null);
    for (Phase p : op.phases()) {
      if (p.state() == State.RUNNING) {
        op.finishPhase(p.name(), State.ROLLED_BACK, now, null);
      }
    }
    finish(op, State.ROLLED_BACK, now);
  }

  private void finish(OperationEntity op, State s, Instant now) {
    if (op.state().isFinal()) {
      return;
    }
    op.setState(s, now);
    Counter.builder("mayfly.operations").description("operations that reached a final state")
        .tag("type", op.type().name()).tag("state", s.name()).register(meters).increment();
  }

  public OperationEntity find(UUID id) {
    return id == null ? null : repo.findById(id).orElse(null);
  }
}
