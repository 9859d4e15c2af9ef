package dev.mayfly.controller.web;

import java.util.List;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.method.HandlerTypePredicate;
import org.springframework.web.servlet.config.annotation.PathMatchConfigurer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The generated API interfaces carry paths relative to the spec's server URL; every
 * controller in dev.mayfly.controller gets the {@code /api/v1} prefix here.
 */
@Configuration(proxyBeanMethods = false)
public class WebConfig implements WebMvcConfigurer {

  public static final String API_PREFIX = "/api/v1";

  private final List<HttpMessageConverter<?>> extraConverters;

  public WebConfig(List<ApiBodyConverter> extraConverters) {
    this.extraConverters = List.copyOf(extraConverters);
  }

  @Override
  public void configurePathMatch(PathMatchConfigurer configurer) {
    configurer.addPathPrefix(API_PREFIX, HandlerTypePredicate.forBasePackage("dev.mayfly.controller")
        .and(HandlerTypePredicate.forAnnotation(RestController.class)));
  }

  @Override
  public void extendMessageConverters(List<HttpMessageConverter<?>> converters) {
    converters.addAll(0, extraConverters);
  }
}
