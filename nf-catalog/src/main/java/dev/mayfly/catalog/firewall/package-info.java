/**
 * Per-subscriber personal firewall policies: the model ({@link
 * dev.mayfly.catalog.firewall.FirewallPolicy}, {@link dev.mayfly.catalog.firewall.Rule}),
 * its validator ({@link dev.mayfly.catalog.firewall.PolicyValidator}, errors name
 * {@code rules[i].field}), and the compiler to a Click configuration ({@link
 * dev.mayfly.catalog.firewall.FirewallCompiler}) whose output always passes
 * {@link dev.mayfly.catalog.click.ClickValidator}. See docs/firewall-policy.md.
 */
package dev.mayfly.catalog.firewall;
