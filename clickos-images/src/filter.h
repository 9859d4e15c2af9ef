/* filter.h - Click's IP filter language (IPFilter / IPClassifier): parser
 * into an expression tree and evaluation against a packet. */
#ifndef CLICKOS_FILTER_H
#define CLICKOS_FILTER_H
#include "clickos.h"

typedef struct FNode FNode;
/* Parse one expression.  On error returns NULL and writes a message into
 * errbuf (which names the offending word). */
FNode *filter_parse(const char *text, char *errbuf, size_t errlen);
void filter_free(FNode *n);
/* Evaluate against the packet's IP header (network header annotation, or
 * the data start when unset).  Never reads past the packet. */
bool filter_match(const FNode *n, const Packet *p);
bool filter_match_ip(const FNode *n, const uint8_t *ip, int32_t avail);

typedef struct {
  FNode **expr;
  int *action;   /* output number, or -1 = drop */
  int n;
} FilterProgram;
/* IPFilter rule list "allow EXPR, deny EXPR, 2 EXPR" (ipfilter=true) or
 * IPClassifier pattern list "EXPR, EXPR" (ipfilter=false). */
int filter_program_parse(Args *a, bool ipfilter, FilterProgram *prog, ErrCtx *err, int noutputs);
void filter_program_free(FilterProgram *prog);
int filter_program_run(const FilterProgram *prog, const Packet *p); /* output or -1 */
#endif
