package dev.mayfly.controller.config;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.util.ArrayList;
import java.util.List;

/** Stores a {@code List<String>} as a JSON array in a TEXT column. */
@Converter
public class ListJsonConverter implements AttributeConverter<List<String>, String> {

  @Override
  public String convertToDatabaseColumn(List<String> attribute) {
    return Json.write(attribute == null ? List.of() : attribute);
  }

  @Override
  public List<String> convertToEntityAttribute(String dbData) {
    return new ArrayList<>(Json.readList(dbData));
  }
}
