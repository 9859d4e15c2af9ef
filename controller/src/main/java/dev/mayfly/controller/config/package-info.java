/**
 * Wiring: the {@code mayfly.*} properties, the database (external through MAYFLY_DB_URL
 * or an embedded PostgreSQL under ${mayfly.home}/pgdata), JSON column converters and the
 * MVC setup (the /api/v1 prefix, the YAML descriptor reader).
 */
package dev.mayfly.controller.config;
