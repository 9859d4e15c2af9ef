package dev.mayfly.controller.web;

import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;

/** Query-parameter pagination ({@code page} 0-based, {@code size} 1..500, default 50). */
public final class Pages {

  public static final int DEFAULT_SIZE = 50;
  public static final int MAX_SIZE = 500;

  private Pages() {}

  public static PageRequest of(Integer page, Integer size, Sort sort) {
    int p = page == null ? 0 : page;
    int s = size == null ? DEFAULT_SIZE : size;
    if (p < 0) {
      throw badParam("page", "must be greater than or equal to 0");
    }
    if (s < 1 || s > MAX_SIZE) {
      throw badParam("size", "must be between 1 and " + MAX_SIZE);
    }
    return PageRequest.of(p, s, sort);
  }

  public static ApiProblem badParam(String name, String message) {
    return new ApiProblem(org.springframework.http.HttpStatus.BAD_REQUEST, "bad-parameter", "Bad request parameter",
        name + ": " + message, java.util.List.of(ApiProblem.fieldError(name, message)));
  }
}
