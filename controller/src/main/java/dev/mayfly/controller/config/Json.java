package dev.mayfly.controller.config;

import java.util.List;
import java.util.Map;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** JSON encoding of the small collections stored in TEXT columns. */
public final class Json {

  private static final JsonMapper MAPPER = JsonMapper.builder().build();
  private static final TypeReference<Map<String, String>> MAP = new TypeReference<>() {};
  private static final TypeReference<List<String>> LIST = new TypeReference<>() {};

  private Json() {}

  public static String write(Object o) {
    return MAPPER.writeValueAsString(o);
  }

  public static Map<String, String> readMap(String s) {
    return s == null || s.isBlank() ? Map.of() : MAPPER.readValue(s, MAP);
  }

  public static List<String> readList(String s) {
    return s == null || s.isBlank() ? List.of() : MAPPER.readValue(s, LIST);
  }

  public static <T> List<T> readList(String s, Class<T> element) {
    if (s == null || s.isBlank()) {
      return List.of();
    }
    return MAPPER.readValue(s, MAPPER.getTypeFactory().constructCollectionType(List.class, element));
  }
}
