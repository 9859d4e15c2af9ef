/**
 * Operations: one row per lifecycle-operation occurrence (INSTANTIATE, TERMINATE, DRAIN),
 * modelled on ETSI NFV SOL003 LCM op occurrences, with per-phase timings and an error
 * problem; their REST view and metrics.
 */
package dev.mayfly.controller.operation;
