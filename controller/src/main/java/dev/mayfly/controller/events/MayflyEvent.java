package dev.mayfly.controller.events;

/**
 * One change: {@code type} is the SSE event name ({@code node}, {@code node-removed},
 * {@code instance}, {@code instance-removed}, {@code operation}); {@code data} is the
 * resource as the REST API shows it (for the removed kinds: {@code {"id": ...}}).
 */
public record MayflyEvent(String type, Object data) {}
