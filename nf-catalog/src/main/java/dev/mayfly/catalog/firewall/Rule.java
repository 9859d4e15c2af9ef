package dev.mayfly.catalog.firewall;

/**
 * One ordered firewall rule, modelled on the ETSI MEC 011 {@code TrafficRule}: its
 * {@code action} (MEC 011 {@code action}: PASSTHROUGH / DROP), and a traffic filter reduced to
 * what a personal firewall needs: the direction, the protocol, the remote party's network
 * ({@code dstAddress} for outbound, {@code srcAddress} for inbound) and the service port range.
 *
 * @param action ALLOW or DENY
 * @param direction OUTBOUND (subscriber to network) or INBOUND
 * @param protocol TCP, UDP, ICMP or ANY
 * @param remoteCidr the remote network as IPv4 {@code ADDR/LEN} or a single address; null or
 *     empty = any
 * @param portFrom first port of the service port range (the destination port, which is the
 *     remote port for OUTBOUND and the subscriber's port for INBOUND); null = any port; only
 *     with TCP or UDP
 * @param portTo last port of the range; null = just {@code portFrom}
 * @param description free text for operators (at most {@link PolicyValidator#MAX_DESCRIPTION}
 *     characters), may be null
 */
public record Rule(Action action, Direction direction, Protocol protocol, String remoteCidr,
    Integer portFrom, Integer portTo, String description) {

  public static Rule allowOutbound(Protocol protocol, String remoteCidr, Integer port) {
    return new Rule(Action.ALLOW, Direction.OUTBOUND, protocol, remoteCidr, port, null, null);
  }

  public static Rule denyOutbound(Protocol protocol, String remoteCidr, Integer port) {
    return new Rule(Action.DENY, Direction.OUTBOUND, protocol, remoteCidr, port, null, null);
  }

  public static Rule allowInbound(Protocol protocol, String remoteCidr, Integer port) {
    return new Rule(Action.ALLOW, Direction.INBOUND, protocol, remoteCidr, port, null, null);
  }

  public static Rule denyInbound(Protocol protocol, String remoteCidr, Integer port) {
    return new Rule(Action.DENY, Direction.INBOUND, protocol, remoteCidr, port, null, null);
  }
}
