/**
 * The HTTP edge shared by every feature: RFC 9457 problem details
 * ({@link dev.mayfly.controller.web.ApiProblem}, {@link dev.mayfly.controller.web.ProblemAdvice}),
 * the request-body size limit, the /api/v1 prefix and the pagination helper.
 */
package dev.mayfly.controller.web;
