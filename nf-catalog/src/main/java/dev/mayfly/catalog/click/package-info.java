/**
 * The Click configuration language in Java: a parser that tokenises the graph language the
 * way Click's {@code lib/lexer.cc} does (element arguments stay raw text), flattens
 * {@code elementclass} compounds and {@code define} variables, and a validator that checks
 * a flattened graph against an element table (class names, port counts, push/pull
 * processing, unconnected ports, IPFilter / IPClassifier expressions).
 *
 * <p>Entry points: {@link dev.mayfly.catalog.click.ClickParser#parse(String)},
 * {@link dev.mayfly.catalog.click.ClickValidator#check(String)}. Errors are
 * {@link dev.mayfly.catalog.click.ClickError} values that render as {@code config:LINE: message},
 * the same form the clickos runtime uses. Nothing here throws on bad input.
 */
package dev.mayfly.catalog.click;
