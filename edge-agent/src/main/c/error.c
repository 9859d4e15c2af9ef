/* error.c - crun-style errors: negative return + noxs_error_t. */
#include "noxs_internal.h"
#include <stdio.h>

void nx_clear(noxs_error_t *err) {
  if (err) {
    err->status = 0;
    err->msg[0] = '\0';
  }
}

int nx_fail(noxs_error_t *err, int errno_value, const char *fmt, ...) {
  if (!err) return -1;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if (errno_value > 0 && errno_value < 4096 && (size_t) n < sizeof err->msg)
    snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(errno_value));
  err->status = errno_value ? errno_value : EIO;
  return -1;
}

int nx_wrap(noxs_error_t *err, const char *fmt, ...) {
  if (!err) return -1;
  char ctx[256], old[NOXS_ERR_MSG_LEN + 2];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx, sizeof ctx, fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof old);
  old[sizeof old - 1] = '\0';
  size_t cl = strlen(ctx);
  if (cl > sizeof err->msg - 3) cl = sizeof err->msg - 3;
  memcpy(err->msg, ctx, cl);
  memcpy(err->msg + cl, ": ", 2);
  size_t room = sizeof err->msg - cl - 3, ol = strlen(old);
  if (ol > room) ol = room;
  memcpy(err->msg + cl + 2, old, ol);
  err->msg[cl + 2 + ol] = '\0';
  if (!err->status) err->status = EIO;
  return -1;
}
