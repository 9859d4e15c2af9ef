package dev.mayfly.controller.operation;

import dev.mayfly.api.model.FieldError;
import dev.mayfly.api.model.Operation;
import dev.mayfly.api.model.OperationPhase;
import dev.mayfly.api.model.OperationState;
import dev.mayfly.api.model.OperationType;
import dev.mayfly.api.model.Problem;
import dev.mayfly.api.model.ResourceRef;
import dev.mayfly.api.model.ResourceType;
import dev.mayfly.controller.config.Json;
import dev.mayfly.controller.web.ApiProblem;
import dev.mayfly.controller.web.WebConfig;
import java.net.URI;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

/** Entity → API model for operations, and the 202 + Location answer. */
public final class OperationViews {

  private OperationViews() {}

  public static OffsetDateTime time(Instant i) {
    return i == null ? null : i.atOffset(ZoneOffset.UTC);
  }

  public static Operation toApi(OperationEntity e) {
    List<OperationPhase> phases = new ArrayList<>();
    for (OperationEntity.Phase p : e.phases()) {
      OperationPhase ap = new OperationPhase(p.name(), OperationState.valueOf(p.state().name()));
      ap.setStartTime(time(p.startTime()));
      ap.setDurationMs(p.durationMs());
      ap.setDetail(p.detail());
      phases.add(ap);
    }
    Operation o = new Operation(e.id(), OperationType.valueOf(e.type().name()),
        OperationState.valueOf(e.state().name()),
        new ResourceRef(ResourceType.valueOf(e.resourceType().name()), e.resourceId()),
        time(e.startTime()), time(e.stateEnteredTime()), phases);
    if (e.errorStatus() != null) {
      Problem p = new Problem(ApiProblem.TYPE_BASE + "operation-failed", e.errorTitle(), e.errorStatus());
      p.setDetail(e.errorDetail());
      p.setInstance(WebConfig.API_PREFIX + "/operations/" + e.id());
      if (e.errorFields() != null) {
        List<FieldError> fe = new ArrayList<>();
        for (Map<?, ?> m : Json.readList(e.errorFields(), Map.class)) {
          fe.add(new FieldError(String.valueOf(m.get("field")), String.valueOf(m.get("message"))));
        }
        p.setErrors(fe);
      } else {
        p.setErrors(null); // omitted when empty
      }
      o.setError(p);
    }
    return o;
  }

  public static ResponseEntity<Operation> accepted(OperationEntity e) {
    return ResponseEntity.status(HttpStatus.ACCEPTED)
        .location(URI.create(WebConfig.API_PREFIX + "/operations/" + e.id()))
        .body(toApi(e));
  }
}
