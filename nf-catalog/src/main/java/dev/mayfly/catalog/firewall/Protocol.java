package dev.mayfly.catalog.firewall;

/** IP protocol a rule matches; {@code ANY} matches every IP packet. */
public enum Protocol {
  TCP, UDP, ICMP, ANY;

  boolean hasPorts() {
    return this == TCP || this == UDP;
  }
}
