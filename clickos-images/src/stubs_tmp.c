#include "clickos.h"
void register_ip(void){} void register_classifier(void){} void register_firewall(void){}
void register_device(void){} void register_dump(void){} void register_arp(void){} void register_rewriter(void){}
int guest_main(void){return 1;}
