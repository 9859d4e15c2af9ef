package dev.mayfly.controller.events;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** The open event streams. Thread-safe; a failed send drops that stream only. */
@Component
public class EventHub {

  private static final Logger log = LoggerFactory.getLogger(EventHub.class);
  /** Clients reconnect after this; bounds how long a dead connection is kept. */
  static final Duration STREAM_TIMEOUT = Duration.ofMinutes(30);

  private final List<SseEmitter> emitters = new CopyOnWriteArrayList<>();
  private final AtomicLong seq = new AtomicLong();

  SseEmitter open() {
    SseEmitter e = new SseEmitter(STREAM_TIMEOUT.toMillis());
    e.onCompletion(() -> emitters.remove(e));
    e.onTimeout(() -> {
      emitters.remove(e);
      e.complete();
    });
    e.onError(t -> emitters.remove(e));
    try {
      // tells the client the stream is live; retry: reconnect delay hint for EventSource clients
      e.send(SseEmitter.event().name("hello").id(Long.toString(seq.get())).reconnectTime(2000)
          .data("{\"stream\":\"mayfly-events\"}", MediaType.APPLICATION_JSON));
    } catch (IOException ex) {
      e.completeWithError(ex);
      return e;
    }
    emitters.add(e);
    return e;
  }

  int listeners() {
    return emitters.size();
  }

  void publish(MayflyEvent event) {
    String id = Long.toString(seq.incrementAndGet());
    for (SseEmitter e : emitters) {
      try {
        e.send(SseEmitter.event().name(event.type()).id(id).data(event.data(), MediaType.APPLICATION_JSON));
      } catch (IOException | IllegalStateException ex) {
        log.debug("event stream closed: {}", ex.toString());
        emitters.remove(e);
        e.completeWithError(ex);
      }
    }
  }

  /**
   * On shutdown, end every stream first: an open stream is an active request, and the
   * web server's graceful shutdown would otherwise wait for it until its timeout.
   * ContextClosedEvent comes before the lifecycle beans (the web server) are stopped.
   * Clients see the stream end and reconnect to the next controller.
   */
  @EventListener(ContextClosedEvent.class)
  void closeAll() {
    for (SseEmitter e : emitters) {
      emitters.remove(e);
      try {
        e.complete();
      } catch (RuntimeException ex) {
        log.debug("closing event stream: {}", ex.toString());
      }
    }
  }

  /** A comment line, so proxies and clients see the connection is alive. */
  void keepAlive() {
    for (SseEmitter e : emitters) {
      try {
        e.send(SseEmitter.event().comment("keep-alive"));
      } catch (IOException | IllegalStateException ex) {
        emitters.remove(e);
        e.completeWithError(ex);
      }
    }
  }
}
