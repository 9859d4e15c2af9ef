package dev.mayfly.controller.config;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.util.Map;
import java.util.TreeMap;

/** Stores a {@code Map<String,String>} as a JSON object in a TEXT column. */
@Converter
public class MapJsonConverter implements AttributeConverter<Map<String, String>, String> {

  @Override
  public String convertToDatabaseColumn(Map<String, String> attribute) {
    return Json.write(attribute == null ? Map.of() : new TreeMap<>(attribute));
  }

  @Override
  public Map<String, String> convertToEntityAttribute(String dbData) {
    return new TreeMap<>(Json.readMap(dbData));
  }
}
