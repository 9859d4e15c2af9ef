/**
 * Live updates for the dashboard and the OSS: {@code GET /api/v1/events}, a
 * server-sent-event stream of node, NF-instance and operation changes.
 *
 * <p>One poller ({@link ChangePoller}) reads the same views the REST API answers with,
 * once a second and only while somebody listens, diffs them against the previous read
 * and hands each change to {@link EventHub}, which fans it out to the open
 * {@code SseEmitter}s. Polling keeps this package free of hooks in the services that
 * change state; its cost is one small query per kind per second, shared by all
 * listeners, and a change shows up at most one poll interval late.
 */
package dev.mayfly.controller.events;
