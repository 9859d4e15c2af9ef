/**
 * NF instances: desired state (RUNNING / DELETED, with a generation bumped on every
 * change), observed state (what the agent last reported), the node and guest id, and the
 * create / delete flows that start INSTANTIATE / TERMINATE operations.
 */
package dev.mayfly.controller.instance;
