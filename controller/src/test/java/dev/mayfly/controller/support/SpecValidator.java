package dev.mayfly.controller.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks real responses against api-spec/openapi.yaml: finds the operation by method and
 * path template, the response by status code, checks the content type and validates the
 * body against the schema (required properties, no undeclared properties, types, enums,
 * uuid / date-time formats, $ref). A small subset of JSON Schema, enough for this spec.
 */
public final class SpecValidator {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern DATE_TIME = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$");
  private static Map<String, Object> spec;

  private SpecValidator() {}

  @SuppressWarnings("unchecked")
  private static synchronized Map<String, Object> spec() {
    if (spec == null) {
      Path p = Path.of("../api-spec/openapi.yaml");
      try {
        spec = (Map<String, Object>) new Yaml(new LoaderOptions()).load(Files.readString(p));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + p.toAbsolutePath(), e);
      }
    }
    return spec;
  }

  /** Returns the list of violations (empty = conforms). {@code path} is relative to /api/v1, without query. */
  @SuppressWarnings("unchecked")
  public static List<String> check(String method, String path, int status, String contentType, String body) {
    List<String> out = new ArrayList<>();
    Map<String, Object> paths = (Map<String, Object>) spec().get("paths");
    Map<String, Object> op = null;
    for (var e : paths.entrySet()) {
      String regex = "^" + e.getKey().replaceAll("\\{[^}]+}", "[^/]+") + "$";
      if (path.matches(regex)) {
        op = (Map<String, Object>) ((Map<String, Object>) e.getValue()).get(method.toLowerCase());
        if (op != null) {
          break;
        }
      }
    }
    if (op == null) {
      out.add("no operation " + method + " " + path + " in the spec");
      return out;
    }
    Map<String, Object> responses = (Map<String, Object>) op.get("responses");
    Map<String, Object> resp = (Map<String, Object>) responses.get(String.valueOf(status));
    if (resp == null) {
      out.add(method + " " + path + ": status " + status + " not declared (declared: " + responses.keySet() + ")");
      return out;
    }
    resp = deref(resp);
    Map<String, Object> content = (Map<String, Object>) resp.get("content");
    if (content == null) {
      if (body != null && !body.isEmpty()) {
        out.add(method + " " + path + " " + status + ": body present but none declared");
      }
      return out;
    }
    String ct = contentType == null ? "" : contentType.split(";")[0].trim();
    Map<String, Object> media = (Map<String, Object>) content.get(ct);
    if (media == null) {
      out.add(method + " " + path + " " + status + ": content type '" + ct + "' not declared " + content.keySet());
      return out;
    }
    JsonNode node = JSON.readTree(body);
    validate(node, (Map<String, Object>) media.get("schema"), "$", out);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> deref(Map<String, Object> m) {
    while (m.containsKey("$ref")) {
      String[] parts = ((String) m.get("$ref")).substring(2).split("/");
      Object cur = spec();
      for (String p : parts) {
        cur = ((Map<String, Object>) cur).get(p);
      }
      m = (Map<String, Object>) cur;
    }
    return m;
  }

  @SuppressWarnings("unchecked")
  private static void validate(JsonNode n, Map<String, Object> schema, String at, List<String> out) {
    schema = deref(schema);
    String type = (String) schema.get("type");
    if (n.isNull()) {
      out.add(at + ": null is not allowed");
      return;
    }
    if (schema.containsKey("enum")) {
      List<Object> allowed = (List<Object>) schema.get("enum");
      if (!allowed.stream().map(String::valueOf).toList().contains(n.asString())) {
        out.add(at + ": '" + n.asString() + "' not in " + allowed);
      }
    }
    if (type == null) {
      return;
    }
    switch (type) {
      case "object" -> {
        if (!n.isObject()) {
          out.add(at + ": expected object");
          return;
        }
        Map<String, Object> props = (Map<String, Object>) schema.getOrDefault("properties", Map.of());
        for (Object r : (List<Object>) schema.getOrDefault("required", List.of())) {
          if (!n.has((String) r)) {
            out.add(at + ": required property '" + r + "' missing");
          }
        }
        Object additional = schema.get("additionalProperties");
        Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator();
        while (it.hasNext()) {
          var e = it.next();
          Map<String, Object> ps = (Map<String, Object>) props.get(e.getKey());
          if (ps != null) {
            validate(e.getValue(), ps, at + "." + e.getKey(), out);
          } else if (additional instanceof Map) {
            validate(e.getValue(), (Map<String, Object>) additional, at + "." + e.getKey(), out);
          } else {
            out.add(at + ": property '" + e.getKey() + "' is not declared");
          }
        }
      }
      case "array" -> {
        if (!n.isArray()) {
          out.add(at + ": expected array");
          return;
        }
        for (int i = 0; i < n.size(); i++) {
          validate(n.get(i), (Map<String, Object>) schema.get("items"), at + "[" + i + "]", out);
        }
      }
      case "string" -> {
        if (!n.isString()) {
          out.add(at + ": expected string");
          return;
        }
        String f = (String) schema.get("format");
        if ("uuid".equals(f)) {
          try {
            UUID.fromString(n.asString());
          } catch (IllegalArgumentException e) {
            out.add(at + ": not a uuid");
          }
        } else if ("date-time".equals(f) && !DATE_TIME.matcher(n.asString()).matches()) {
          out.add(at + ": not an RFC 3339 date-time: " + n.asString());
        }
      }
      case "integer" -> {
        if (!n.isIntegralNumber()) {
          out.add(at + ": expected integer");
        }
      }
      case "number" -> {
        if (!n.isNumber()) {
          out.add(at + ": expected number");
        }
      }
      case "boolean" -> {
        if (!n.isBoolean()) {
          out.add(at + ": expected boolean");
        }
      }
      default -> out.add(at + ": unknown schema type " + type);
    }
  }
}
