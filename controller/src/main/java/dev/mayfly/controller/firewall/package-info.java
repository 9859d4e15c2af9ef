/**
 * Personal-firewall guests (ARCHITECTURE §6, issue 5): {@link
 * dev.mayfly.controller.firewall.FirewallProvisioner} turns each subscriber's policy into a
 * guest on the subscriber's edge node (compiled by the nf-catalog {@code FirewallCompiler},
 * port {@code access} cross-connected to the attachment, {@code core} on the core bridge),
 * writes policy changes into running guests live, and removes guests when the policy goes
 * (fail closed). {@link dev.mayfly.controller.firewall.PolicyMapper} maps the API policy to
 * the catalog model. Settings: {@link dev.mayfly.controller.firewall.FirewallSettings}.
 */
package dev.mayfly.controller.firewall;
