/* fuzz_config.c - libFuzzer harness for the configuration lexer/parser
 * (parse, flatten, re-parse the flattened text) and the argument splitter.
 * The router is not built: elements would open devices and files. */
#include "clickos.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int init;
  if (!init) { elements_register_all(); init = 1; }
  if (size > 65536) return 0;
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = 0;
  ErrCtx e = {0};
  e.quiet = true;
  e.file = "fuzz";
  Config c;
  if (config_parse(text, "fuzz", &c, &e) == 0) {
    Str s;
    str_init(&s);
    str_add(&s, "");
    config_unparse(&c, &s);
    Config c2;
    ErrCtx e2 = {0};
    e2.quiet = true;
    if (config_parse(s.s, "flat", &c2, &e2) == 0 && c2.nd != c.nd) abort(); /* flattening must round-trip */
    config_free(&c2);
    str_free(&e2.first);
    str_free(&s);
  }
  config_free(&c);
  str_free(&e.first);
  Args a;
  args_split(text, &a);
  args_free(&a);
  free(text);
  return 0;
}
