package dev.mayfly.controller.counters;

import dev.mayfly.api.model.FirewallCounters;
import dev.mayfly.api.server.FirewallCountersApi;
import org.springframework.http.CacheControl;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /subscribers/{id}/firewall/counters}. */
@RestController
public class FirewallCountersController implements FirewallCountersApi {

  private final FirewallCountersService counters;

  public FirewallCountersController(FirewallCountersService counters) {
    this.counters = counters;
  }

  @Override
  public ResponseEntity<FirewallCounters> getSubscriberFirewallCounters(String subscriberId) {
    return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(counters.read(subscriberId));
  }
}
