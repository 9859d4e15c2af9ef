package dev.mayfly.controller.events;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** {@code GET /api/v1/events} (the prefix comes from WebConfig). */
@RestController
public class EventsController {

  private final EventHub hub;
  private final ChangePoller poller;

  public EventsController(EventHub hub, ChangePoller poller) {
    this.hub = hub;
    this.poller = poller;
  }

  @GetMapping(path = "/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  public SseEmitter events() {
    return poller.openStream();
  }
}
