package dev.mayfly.catalog.firewall;

/** What a rule (or a direction's default) does with matching packets. */
public enum Action {
  ALLOW, DENY;

  /** The IPFilter action word. */
  String clickWord() {
    return this == ALLOW ? "allow" : "deny";
  }
}
