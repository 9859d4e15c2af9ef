/**
 * HTTP Basic for {@code /api/**} and the actuator (user {@code admin}); the password comes
 * from {@code mayfly.admin.password} (env MAYFLY_ADMIN_PASSWORD) or is generated on first
 * start into ${mayfly.home}/admin-password (mode 0600). {@code /actuator/health} is public.
 */
package dev.mayfly.controller.security;
