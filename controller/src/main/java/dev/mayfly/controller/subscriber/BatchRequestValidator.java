package dev.mayfly.controller.subscriber;

import dev.mayfly.api.model.SubscriberBatchRequest;
import dev.mayfly.api.model.SubscriberCreate;
import jakarta.validation.ConstraintViolation;
import java.util.List;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;
import org.springframework.validation.beanvalidation.SpringValidatorAdapter;

/**
 * Bean validation of a {@code POST /subscriber-batches} body, item by item: the same
 * constraints (openapi.yaml → generated model annotations) and the same field names
 * ({@code items[7].policy.rules[0].portFrom}) as validating the whole request at once, in
 * linear time. Hibernate Validator remembers, per validated object, every path it was
 * reached by, and looks that list up linearly; the enum constants ({@code ALLOW}, {@code
 * DENY}) are cascaded objects shared by every rule of every item, so one pass over 10 000
 * items cost minutes. Validating each item in its own context keeps those lists short.
 */
final class BatchRequestValidator implements Validator {

  private final jakarta.validation.Validator validator;
  private final SpringValidatorAdapter items;

  BatchRequestValidator(jakarta.validation.Validator validator) {
    this.validator = validator;
    this.items = new SpringValidatorAdapter(validator);
  }

  @Override
  public boolean supports(Class<?> clazz) {
    return SubscriberBatchRequest.class.isAssignableFrom(clazz);
  }

  @Override
  public void validate(Object target, Errors errors) {
    SubscriberBatchRequest req = (SubscriberBatchRequest) target;
    // the request's own constraints (items: not null, at most 10 000), without cascading into
    // the items (validateProperty would): checked on a list of as many nulls
    List<SubscriberCreate> list = req.getItems();
    Object probe = list == null ? null : java.util.Collections.nCopies(list.size(), null);
    for (ConstraintViolation<SubscriberBatchRequest> v
        : validator.validateValue(SubscriberBatchRequest.class, "items", probe)) {
      errors.rejectValue("items", v.getConstraintDescriptor().getAnnotation().annotationType().getSimpleName(),
          v.getMessage());
    }
    if (list == null || errors.hasFieldErrors("items")) {
      return; // too many items: do not look at each of them
    }
    for (int i = 0; i < list.size(); i++) {
      SubscriberCreate c = list.get(i);
      if (c == null) {
        continue;
      }
      errors.pushNestedPath("items[" + i + "]");
      try {
        items.validate(c, errors);
      } finally {
        errors.popNestedPath();
      }
    }
  }
}
