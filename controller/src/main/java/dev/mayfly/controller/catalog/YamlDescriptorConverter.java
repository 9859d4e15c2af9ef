package dev.mayfly.controller.catalog;

import dev.mayfly.api.model.NfDescriptor;
import dev.mayfly.catalog.DescriptorException;
import dev.mayfly.catalog.DescriptorLoader;
import dev.mayfly.controller.web.ApiBodyConverter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.MediaType;
import org.springframework.http.converter.AbstractHttpMessageConverter;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.http.converter.HttpMessageNotWritableException;
import org.springframework.stereotype.Component;

/**
 * Reads an {@code application/yaml} request body into the API's NfDescriptor through
 * nf-catalog's loader, so YAML errors carry line numbers. Read-only: responses are JSON.
 */
@Component
public class YamlDescriptorConverter extends AbstractHttpMessageConverter<Object> implements ApiBodyConverter {

  public static final MediaType YAML = MediaType.parseMediaType("application/yaml");

  public YamlDescriptorConverter() {
    super(StandardCharsets.UTF_8, YAML, MediaType.parseMediaType("application/x-yaml"),
        MediaType.parseMediaType("text/yaml"));
  }

  @Override
  protected boolean supports(Class<?> clazz) {
    return NfDescriptor.class.equals(clazz);
  }

  @Override
  public boolean canWrite(Class<?> clazz, MediaType mediaType) {
    return false;
  }

  @Override
  protected Object readInternal(Class<?> clazz, HttpInputMessage in) throws IOException {
    String text = new String(in.getBody().readAllBytes(), StandardCharsets.UTF_8);
    try {
      return CatalogService.fromCatalog(DescriptorLoader.parse(text, "request body"));
    } catch (DescriptorException e) {
      throw new HttpMessageNotReadableException(e.getMessage(), e, in);
    }
  }

  @Override
  protected void writeInternal(Object o, HttpOutputMessage out) throws HttpMessageNotWritableException {
    throw new HttpMessageNotWritableException("YAML responses are not produced");
  }
}
