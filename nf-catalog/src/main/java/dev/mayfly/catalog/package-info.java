/**
 * NF descriptors: the model ({@link dev.mayfly.catalog.NfDescriptor}), the YAML loader
 * that reports errors with line numbers, the validator shared with the controller's REST
 * onboarding, and the descriptors shipped under {@code descriptors/}.
 */
package dev.mayfly.catalog;
