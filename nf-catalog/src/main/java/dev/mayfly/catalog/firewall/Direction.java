package dev.mayfly.catalog.firewall;

/**
 * Which traffic a rule applies to: {@code OUTBOUND} is from the subscriber (the
 * {@code access} port) to the network ({@code core}), {@code INBOUND} the reverse. ETSI MEC
 * 011 expresses the same with a TrafficRule's filter source/destination.
 */
public enum Direction {
  OUTBOUND, INBOUND
}
