package dev.mayfly.controller.web;

import dev.mayfly.api.model.FieldError;
import dev.mayfly.api.model.Problem;
import dev.mayfly.catalog.DescriptorException;
import dev.mayfly.catalog.DescriptorIssue;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.ConstraintViolationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.BindingResult;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.exc.ValueInstantiationException;

/**
 * Turns every failure into RFC 9457 {@code application/problem+json}, naming the
 * offending field in {@code errors[].field}. Syntax, type and unknown-value errors are
 * 400; well-formed but invalid input is 422 (see docs/api.md).
 */
@RestControllerAdvice
public class ProblemAdvice {

  private static final Logger log = LoggerFactory.getLogger(ProblemAdvice.class);
  public static final MediaType PROBLEM = MediaType.APPLICATION_PROBLEM_JSON;

  @ExceptionHandler(ApiProblem.class)
  ResponseEntity<Problem> apiProblem(ApiProblem e, HttpServletRequest req) {
    return problem(e.status(), e.type(), e.title(), e.getMessage(), e.errors(), req);
  }

  @ExceptionHandler(HttpMessageNotReadableException.class)
  ResponseEntity<Problem> unreadable(HttpMessageNotReadableException e, HttpServletRequest req) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof PayloadTooLargeException p) { // may be wrapped by Jackson: look at the whole chain first
        return problem(HttpStatus.CONTENT_TOO_LARGE, "payload-too-large", "Payload too large", p.getMessage(),
            List.of(), req);
      }
    }
    Throwable c = e;
    while (c != null) {
      if (c instanceof DescriptorException d) {
        List<FieldError> errs = new ArrayList<>();
        for (DescriptorIssue i : d.issues()) {
          errs.add(ApiProblem.fieldError(i.field().isEmpty() ? "(body)" : i.field(),
              (i.line() > 0 ? "line " + i.line() + ": " : "") + i.message()));
        }
        return problem(HttpStatus.BAD_REQUEST, "malformed-body", "Malformed request body", d.getMessage(), errs, req);
      }
      if (c instanceof JacksonException j) {
        return jackson(j, req);
      }
      c = c.getCause();
    }
    String detail = e.getMessage() != null && e.getMessage().startsWith("Required request body is missing")
        ? "request body is required" : "request body cannot be read";
    return problem(HttpStatus.BAD_REQUEST, "malformed-body", "Malformed request body", detail,
        List.of(ApiProblem.fieldError("(body)", detail)), req);
  }

  private ResponseEntity<Problem> jackson(JacksonException j, HttpServletRequest req) {
    String field = path(j);
    String message;
    if (j instanceof UnrecognizedPropertyException u) {
      message = "unknown field '" + u.getPropertyName() + "'";
    } else if (j instanceof ValueInstantiationException v) {
      Throwable cause = v.getCause() != null ? v.getCause() : v;
      message = "invalid value: " + cause.getMessage();
      Class<?> t = v.getType() != null ? v.getType().getRawClass() : null;
      if (t != null && t.isEnum()) {
        message += " (one of " + java.util.Arrays.toString(t.getEnumConstants()) + ")";
      }
    } else if (j instanceof InvalidFormatException f) {
      message = "invalid value '" + f.getValue() + "'"
          + (f.getTargetType() != null ? ", expected " + describe(f.getTargetType()) : "");
      if (f.getTargetType() != null && f.getTargetType().isEnum()) {
        message += " (one of " + java.util.Arrays.toString(f.getTargetType().getEnumConstants()) + ")";
      }
    } else if (j instanceof MismatchedInputException m) {
      message = "wrong type" + (m.getTargetType() != null ? ", expected " + describe(m.getTargetType()) : "");
    } else if (j instanceof StreamReadException s) {
      message = "malformed JSON: " + clean(s.getOriginalMessage())
          + (s.getLocation() != null ? " (line " + s.getLocation().getLineNr() + ", column "
              + s.getLocation().getColumnNr() + ")" : "");
    } else {
      message = clean(j.getOriginalMessage());
    }
    if (field.isEmpty()) {
      field = "(body)";
    }
    return problem(HttpStatus.BAD_REQUEST, "malformed-body", "Malformed request body", field + ": " + message,
        List.of(ApiProblem.fieldError(field, message)), req);
  }

  /** Jackson messages: drop the source-location noise and cap the length (they echo input). */
  static String clean(String m) {
    if (m == null) {
      return "";
    }
    int cut = m.indexOf(" (start marker at");
    if (cut < 0) {
      cut = m.indexOf("\n at [Source");
    }
    if (cut >= 0) {
      m = m.substring(0, cut);
    }
    return m.length() > 200 ? m.substring(0, 200) + "..." : m;
  }

  private static String describe(Class<?> t) {
    if (t.isEnum()) {
      return "enum";
    }
    if (Number.class.isAssignableFrom(t) || t.isPrimitive() && t != boolean.class) {
      return "number";
    }
    if (t == Boolean.class || t == boolean.class) {
      return "boolean";
    }
    if (t == String.class) {
      return "string";
    }
    if (java.util.Collection.class.isAssignableFrom(t)) {
      return "array";
    }
    return "object";
  }

  /** JSON path of a Jackson error: {@code ports[0].bridge}. */
  static String path(JacksonException j) {
    StringBuilder sb = new StringBuilder();
    for (JacksonException.Reference r : j.getPath()) {
      if (r.getPropertyName() != null) {
        if (!sb.isEmpty()) {
          sb.append('.');
        }
        sb.append(r.getPropertyName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  @ExceptionHandler(MethodArgumentNotValidException.class)
  ResponseEntity<Problem> invalidBody(MethodArgumentNotValidException e, HttpServletRequest req) {
    return problem(HttpStatus.UNPROCESSABLE_CONTENT, "validation", "Invalid request",
        summary(fieldErrors(e.getBindingResult())), fieldErrors(e.getBindingResult()), req);
  }

  private static List<FieldError> fieldErrors(BindingResult br) {
    List<FieldError> out = new ArrayList<>();
    br.getFieldErrors().forEach(f -> out.add(ApiProblem.fieldError(f.getField(), f.getDefaultMessage())));
    br.getGlobalErrors().forEach(g -> out.add(ApiProblem.fieldError("(body)", g.getDefaultMessage())));
    out.sort(java.util.Comparator.comparing(FieldError::getField));
    return out;
  }

  private static String summary(List<FieldError> errs) {
    return errs.size() == 1 ? errs.get(0).getField() + ": " + errs.get(0).getMessage()
        : errs.size() + " fields are invalid";
  }

  @ExceptionHandler(HandlerMethodValidationException.class)
  ResponseEntity<Problem> invalidParams(HandlerMethodValidationException e, HttpServletRequest req) {
    List<FieldError> errs = new ArrayList<>();
    e.getParameterValidationResults().forEach(r -> {
      String name = r.getMethodParameter().getParameterName();
      var rp = r.getMethodParameter().getParameterAnnotation(org.springframework.web.bind.annotation.RequestParam.class);
      if (rp != null && !rp.value().isEmpty()) {
        name = rp.value();
      }
      for (var err : r.getResolvableErrors()) {
        errs.add(ApiProblem.fieldError(name, err.getDefaultMessage()));
      }
    });
    boolean body = e.getParameterValidationResults().stream()
        .anyMatch(r -> r.getMethodParameter().hasParameterAnnotation(org.springframework.web.bind.annotation.RequestBody.class));
    return problem(body ? HttpStatus.UNPROCESSABLE_CONTENT : HttpStatus.BAD_REQUEST,
        body ? "validation" : "bad-parameter", body ? "Invalid request" : "Bad request parameter",
        summary(errs), errs, req);
  }

  @ExceptionHandler(ConstraintViolationException.class)
  ResponseEntity<Problem> violations(ConstraintViolationException e, HttpServletRequest req) {
    List<FieldError> errs = new ArrayList<>();
    e.getConstraintViolations().forEach(v -> {
      String p = v.getPropertyPath().toString();
      errs.add(ApiProblem.fieldError(p.substring(p.lastIndexOf('.') + 1), v.getMessage()));
    });
    return problem(HttpStatus.BAD_REQUEST, "bad-parameter", "Bad request parameter", summary(errs), errs, req);
  }

  @ExceptionHandler(MethodArgumentTypeMismatchException.class)
  ResponseEntity<Problem> typeMismatch(MethodArgumentTypeMismatchException e, HttpServletRequest req) {
    Class<?> t = e.getRequiredType();
    String msg = "invalid value '" + e.getValue() + "'";
    if (t != null && t.isEnum()) {
      msg += ", expected one of " + java.util.Arrays.toString(t.getEnumConstants());
    } else if (t == java.util.UUID.class) {
      msg += ", expected a UUID";
    } else if (t != null) {
      msg += ", expected " + describe(t);
    }
    return problem(HttpStatus.BAD_REQUEST, "bad-parameter", "Bad request parameter", e.getName() + ": " + msg,
        List.of(ApiProblem.fieldError(e.getName(), msg)), req);
  }

  @ExceptionHandler(MissingServletRequestParameterException.class)
  ResponseEntity<Problem> missingParam(MissingServletRequestParameterException e, HttpServletRequest req) {
    return problem(HttpStatus.BAD_REQUEST, "bad-parameter", "Bad request parameter",
        e.getParameterName() + ": is required", List.of(ApiProblem.fieldError(e.getParameterName(), "is required")), req);
  }

  @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
  ResponseEntity<Problem> mediaType(HttpMediaTypeNotSupportedException e, HttpServletRequest req) {
    String detail = "content type " + e.getContentType() + " is not supported here; use one of "
        + e.getSupportedMediaTypes();
    return problem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported media type", detail,
        List.of(ApiProblem.fieldError("Content-Type", detail)), req);
  }

  @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
  ResponseEntity<Problem> notAcceptable(HttpMediaTypeNotAcceptableException e, HttpServletRequest req) {
    return problem(HttpStatus.NOT_ACCEPTABLE, "not-acceptable", "Not acceptable",
        "responses are application/json", List.of(ApiProblem.fieldError("Accept", "use application/json")), req);
  }

  @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
  ResponseEntity<Problem> method(HttpRequestMethodNotSupportedException e, HttpServletRequest req) {
    return problem(HttpStatus.METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed",
        e.getMethod() + " is not allowed here", List.of(), req);
  }

  @ExceptionHandler(NoResourceFoundException.class)
  ResponseEntity<Problem> noResource(NoResourceFoundException e, HttpServletRequest req) {
    return problem(HttpStatus.NOT_FOUND, "not-found", "Not found", "no such path " + req.getRequestURI(), List.of(), req);
  }

  @ExceptionHandler(DataIntegrityViolationException.class)
  ResponseEntity<Problem> integrity(DataIntegrityViolationException e, HttpServletRequest req) {
    log.info("integrity violation on {}: {}", req.getRequestURI(), e.getMostSpecificCause().getMessage());
    return problem(HttpStatus.CONFLICT, "conflict", "Conflict",
        "the change conflicts with existing data (concurrent update or reference in use)", List.of(), req);
  }

  /** The client of a streaming (SSE) response went away, or the stream timed out: nothing to answer. */
  @ExceptionHandler({org.springframework.web.context.request.async.AsyncRequestNotUsableException.class,
      org.springframework.web.context.request.async.AsyncRequestTimeoutException.class})
  void asyncEnded(Exception e, HttpServletRequest req) {
    log.debug("async request {} ended: {}", req.getRequestURI(), e.toString());
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<Problem> unexpected(Exception e, HttpServletRequest req) throws Exception {
    if (e instanceof org.springframework.web.ErrorResponse er && er.getStatusCode().is4xxClientError()) {
      HttpStatus s = HttpStatus.valueOf(er.getStatusCode().value());
      return problem(s, "http-" + s.value(), s.getReasonPhrase(), er.getBody().getDetail(), List.of(), req);
    }
    if (e instanceof org.springframework.security.access.AccessDeniedException
        || e instanceof org.springframework.security.core.AuthenticationException) {
      throw e; // handled by the security filter chain
    }
    log.error("unexpected error on {} {}", req.getMethod(), req.getRequestURI(), e);
    return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal", "Internal error",
        "the controller failed to handle the request; see its log", List.of(), req);
  }

  static ResponseEntity<Problem> problem(HttpStatus status, String type, String title, String detail,
      List<FieldError> errors, HttpServletRequest req) {
    Problem p = new Problem(ApiProblem.TYPE_BASE + type, title, status.value());
    p.setDetail(detail);
    p.setInstance(req.getRequestURI());
    p.setErrors(errors != null && !errors.isEmpty() ? new ArrayList<>(errors) : null); // omitted when empty
    return ResponseEntity.status(status).contentType(PROBLEM).body(p);
  }

  /** For filters and security entry points that answer before MVC: a minimal problem document. */
  public static void writeRaw(HttpServletResponse res, int status, String type, String title, String detail,
      String instance) throws IOException {
    res.setStatus(status);
    res.setContentType(PROBLEM.toString());
    res.setCharacterEncoding(StandardCharsets.UTF_8.name());
    String json = "{\"type\":\"" + ApiProblem.TYPE_BASE + type + "\",\"title\":\"" + esc(title) + "\",\"status\":"
        + status + ",\"detail\":\"" + esc(detail) + "\",\"instance\":\"" + esc(instance) + "\"}";
    res.getOutputStream().write(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (char ch : s.toCharArray()) {
      if (ch == '"' || ch == '\\') {
        sb.append('\\').append(ch);
      } else if (ch < 0x20) {
        sb.append(String.format("\\u%04x", (int) ch));
      } else {
        sb.append(ch);
      }
    }
    return sb.toString();
  }
}
