package dev.mayfly.controller.subscriber;

import dev.mayfly.api.model.FirewallPolicy;
import dev.mayfly.api.model.Subscriber;
import dev.mayfly.api.model.SubscriberBatch;
import dev.mayfly.api.model.SubscriberBatchRequest;
import dev.mayfly.api.model.SubscriberCreate;
import dev.mayfly.api.model.SubscriberFirewall;
import dev.mayfly.api.model.SubscriberPage;
import dev.mayfly.api.model.SubscriberUpdate;
import dev.mayfly.api.server.SubscribersApi;
import dev.mayfly.controller.web.WebConfig;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.springframework.aop.framework.AopInfrastructureBean;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.WebDataBinder;
import org.springframework.web.bind.annotation.InitBinder;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /subscribers}, {@code /subscribers/{id}/policy}, {@code /subscriber-batches}.
 *
 * <p>Request bodies are validated once, by the argument resolver ({@code @Valid}); the batch
 * body item by item ({@link BatchRequestValidator}: a whole-request pass over 10 000 items is
 * quadratic in Hibernate Validator). The generated interface is {@code @Validated}, which would
 * wrap this bean in Spring's method-validation proxy and validate every body a second time,
 * the whole batch included; {@link AopInfrastructureBean} keeps that proxy away. Parameter
 * constraints ({@code page}, {@code size}) are still checked by Spring MVC's built-in method
 * validation (400 naming the parameter).
 */
@RestController
public class SubscribersController implements SubscribersApi, AopInfrastructureBean {

  private final SubscriberService subscribers;
  private final SubscriberBatchService batches;
  private final BatchRequestValidator batchValidator;

  public SubscribersController(SubscriberService subscribers, SubscriberBatchService batches,
      jakarta.validation.Validator validator) {
    this.subscribers = subscribers;
    this.batches = batches;
    this.batchValidator = new BatchRequestValidator(validator);
  }

  @InitBinder("subscriberBatchRequest")
  void batchBinder(WebDataBinder binder) {
    binder.setValidator(batchValidator);
  }

  private static URI self(String id) {
    return URI.create(WebConfig.API_PREFIX + "/subscribers/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
  }

  @Override
  public ResponseEntity<Subscriber> createSubscriber(SubscriberCreate body) {
    Subscriber s = subscribers.create(body);
    return ResponseEntity.created(self(s.getId())).body(s);
  }

  @Override
  public ResponseEntity<SubscriberBatch> createSubscriberBatch(SubscriberBatchRequest body) {
    SubscriberBatch b = batches.create(body);
    return ResponseEntity.status(HttpStatus.ACCEPTED)
        .location(URI.create(WebConfig.API_PREFIX + "/subscriber-batches/" + b.getId())).body(b);
  }

  @Override
  public ResponseEntity<Void> deleteSubscriber(String subscriberId) {
    subscribers.delete(subscriberId);
    return ResponseEntity.noContent().build();
  }

  @Override
  public ResponseEntity<SubscriberFirewall> deleteSubscriberPolicy(String subscriberId) {
    return ResponseEntity.status(HttpStatus.ACCEPTED).body(subscribers.deletePolicy(subscriberId));
  }

  @Override
  public ResponseEntity<Subscriber> getSubscriber(String subscriberId) {
    return ResponseEntity.ok(subscribers.get(subscriberId));
  }

  @Override
  public ResponseEntity<SubscriberBatch> getSubscriberBatch(UUID batchId, String items) {
    return ResponseEntity.ok(batches.get(batchId, items == null ? "all" : items));
  }

  @Override
  public ResponseEntity<SubscriberFirewall> getSubscriberPolicy(String subscriberId) {
    return ResponseEntity.ok(subscribers.firewall(subscriberId));
  }

  @Override
  public ResponseEntity<SubscriberPage> listSubscribers(Integer page, Integer size, String node, String ueIp,
      String idPrefix) {
    return ResponseEntity.ok(subscribers.list(page, size, node, ueIp, idPrefix));
  }

  @Override
  public ResponseEntity<SubscriberFirewall> putSubscriberPolicy(String subscriberId, FirewallPolicy body) {
    return ResponseEntity.status(HttpStatus.ACCEPTED)
        .location(URI.create(self(subscriberId) + "/policy")).body(subscribers.putPolicy(subscriberId, body));
  }

  @Override
  public ResponseEntity<Subscriber> updateSubscriber(String subscriberId, SubscriberUpdate body) {
    return ResponseEntity.ok(subscribers.update(subscriberId, body));
  }
}
