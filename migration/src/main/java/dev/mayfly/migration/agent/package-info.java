/**
 * The migration phases as southbound commands to the source and target agents
 * ({@link dev.mayfly.migration.agent.AgentCommandSteps}): one implementation of
 * {@link dev.mayfly.migration.flow.MigrationSteps} shared by the controller (over its southbound
 * connections) and {@code bench migrate} (over in-process command dispatchers), so the benchmark
 * measures the commands the controller sends.
 */
package dev.mayfly.migration.agent;
