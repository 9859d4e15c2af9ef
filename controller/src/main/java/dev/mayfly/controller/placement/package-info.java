/**
 * Placement: decides which edge node gets an NF instance. Plain Java, no Spring and no
 * JPA: an immutable {@link dev.mayfly.controller.placement.ClusterView} and a
 * {@link dev.mayfly.controller.placement.PlacementRequest} in, a
 * {@link dev.mayfly.controller.placement.Plan} out. See README.md in this folder.
 */
package dev.mayfly.controller.placement;
