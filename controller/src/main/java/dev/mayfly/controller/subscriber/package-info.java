/**
 * Mobile subscribers (IMSI/SUPI, UE address, serving edge node, attachment interface), their
 * personal-firewall policies and bulk provisioning (issue 5). This package owns the desired
 * state (tables {@code subscriber}, {@code subscriber_batch}); the guests that enforce it
 * belong to {@code dev.mayfly.controller.firewall}. See docs/firewall.md.
 */
package dev.mayfly.controller.subscriber;
