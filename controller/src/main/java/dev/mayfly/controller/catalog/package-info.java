/**
 * The catalog of network functions: NF descriptors stored in PostgreSQL, onboarded as JSON
 * or YAML (read by nf-catalog's loader), the shipped descriptors seeded on first start,
 * and deletion only while no NF instance uses a descriptor.
 */
package dev.mayfly.controller.catalog;
