#include "clickos.h"
void register_dump(void){} void register_arp(void){} void register_rewriter(void){}
