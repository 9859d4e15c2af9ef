package dev.mayfly.controller.web;

import dev.mayfly.api.model.FieldError;
import java.util.List;
import org.springframework.http.HttpStatus;

/**
 * A failure a service reports to the API client, rendered as problem+json by
 * {@link ProblemAdvice}. {@code type} is a short slug appended to {@link #TYPE_BASE}.
 */
public class ApiProblem extends RuntimeException {

  public static final String TYPE_BASE = "https://mayfly.dev/problems/";

  private final HttpStatus status;
  private final String type;
  private final String title;
  private final transient List<FieldError> errors;

  public ApiProblem(HttpStatus status, String type, String title, String detail, List<FieldError> errors) {
    super(detail);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = errors == null ? List.of() : List.copyOf(errors);
  }

  public static ApiProblem notFound(String what, String id) {
    return new ApiProblem(HttpStatus.NOT_FOUND, "not-found", "Not found", what + " '" + id + "' does not exist", null);
  }

  public static ApiProblem invalid(String field, String message) {
    return new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "validation", "Invalid request",
        field + ": " + message, List.of(fieldError(field, message)));
  }

  public static ApiProblem invalid(List<FieldError> errors) {
    return new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "validation", "Invalid request",
        errors.size() == 1 ? errors.get(0).getField() + ": " + errors.get(0).getMessage()
            : errors.size() + " fields are invalid", errors);
  }

  public static ApiProblem conflict(String type, String detail, List<FieldError> errors) {
    return new ApiProblem(HttpStatus.CONFLICT, type, "Conflict", detail, errors);
  }

  public static FieldError fieldError(String field, String message) {
    return new FieldError(field, message);
  }

  public HttpStatus status() {
    return status;
  }

  public String type() {
    return type;
  }

  public String title() {
    return title;
  }

  public List<FieldError> errors() {
    return errors;
  }
}
