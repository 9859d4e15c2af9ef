/* elements.c - registers every element class. */
#include "clickos.h"
void register_standard(void);
void register_ip(void);
void register_classifier(void);
void register_firewall(void);
void register_device(void);
void register_dump(void);
void register_arp(void);
void register_rewriter(void);
void elements_register_all(void) {
  static int done;
  if (done) return;
  done = 1;
  register_standard();
  register_ip();
  register_classifier();
  register_firewall();
  register_device();
  register_dump();
  register_arp();
  register_rewriter();
}
