package dev.mayfly.controller.web;

import org.springframework.http.converter.HttpMessageConverter;

/** Marker for extra request-body readers a feature contributes (e.g. YAML descriptors). */
public interface ApiBodyConverter extends HttpMessageConverter<Object> {}
