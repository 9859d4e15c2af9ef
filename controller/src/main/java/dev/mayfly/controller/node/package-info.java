/**
 * Edge nodes: what agents registered (capacity, labels, driver), their last load and
 * liveness, cordon / uncordon / drain, the heartbeat-timeout check and the node gauges.
 */
package dev.mayfly.controller.node;
