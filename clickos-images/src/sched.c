/* sched.c - the run loop: tasks (round-robin), timers (binary heap), file
 * descriptors (poll) and signals (self-pipe).  With --simtime, time only
 * moves when the loop has nothing to do but wait for the next timer, so
 * rate-based elements produce the same output on every run. */
#include "clickos.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static Task *tq_head, *tq_tail;
static Timer **heap;
static int nheap, capheap;
typedef struct { int fd; FdFn fn; void *arg; } FdEnt;
static FdEnt *fds;
static int nfds;
static volatile sig_atomic_t stop_flag;
static int sigpipe[2] = {-1, -1};

void task_init(Task *t, TaskFn fn, void *arg) { t->fn = fn; t->arg = arg; t->scheduled = false; t->next = NULL; }
void task_schedule(Task *t) {
  if (t->scheduled) return;
  t->scheduled = true;
  t->next = NULL;
  if (tq_tail) tq_tail->next = t;
  else tq_head = t;
  tq_tail = t;
}
void task_unschedule(Task *t) {
  if (!t->scheduled || !t->fn) return;
  Task **pp = &tq_head, *prev = NULL;
  while (*pp && *pp != t) { prev = *pp; pp = &(*pp)->next; }
  if (*pp) {
    *pp = t->next;
    if (tq_tail == t) tq_tail = prev;
  }
  t->scheduled = false;
  t->next = NULL;
}

/* ------------------------------------------------------------ timers */
void timer_init(Timer *t, TimerFn fn, void *arg) { t->fn = fn; t->arg = arg; t->heap_index = -1; t->expiry = 0; }
static bool tless(Timer *a, Timer *b) { return a->expiry < b->expiry; }
static void hswap(int i, int j) {
  Timer *x = heap[i];
  heap[i] = heap[j];
  heap[j] = x;
  heap[i]->heap_index = i;
  heap[j]->heap_index = j;
}
static void sift_up(int i) {
  while (i > 0) {
    int p = (i - 1) / 2;
    if (!tless(heap[i], heap[p])) break;
    hswap(i, p);
    i = p;
  }
}
static void sift_down(int i) {
  for (;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < nheap && tless(heap[l], heap[m])) m = l;
    if (r < nheap && tless(heap[r], heap[m])) m = r;
    if (m == i) break;
    hswap(i, m);
    i = m;
  }
}
void timer_unschedule(Timer *t) {
  if (t->heap_index < 0 || t->heap_index >= nheap || heap[t->heap_index] != t) { t->heap_index = -1; return; }
  int i = t->heap_index;
  nheap--;
  if (i != nheap) {
    heap[i] = heap[nheap];
    heap[i]->heap_index = i;
    sift_up(i);
    sift_down(heap[i]->heap_index);
  }
  t->heap_index = -1;
}
void timer_schedule_at(Timer *t, uint64_t when) {
  timer_unschedule(t);
  t->expiry = when;
  if (nheap == capheap) {
    capheap = capheap ? capheap * 2 : 16;
    heap = xrealloc(heap, sizeof(Timer *) * capheap);
  }
  heap[nheap] = t;
  t->heap_index = nheap++;
  sift_up(t->heap_index);
}
void timer_schedule_after(Timer *t, uint64_t d) { timer_schedule_at(t, now_ns() + d); }

/* ------------------------------------------------------------ fds */
int sched_add_fd(int fd, FdFn fn, void *arg) {
  fds = xrealloc(fds, sizeof(FdEnt) * (nfds + 1));
  fds[nfds++] = (FdEnt){fd, fn, arg};
  return 0;
}
void sched_remove_fd(int fd) {
  for (int i = 0; i < nfds; i++)
    if (fds[i].fd == fd) { fds[i] = fds[--nfds]; return; }
}

static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
  if (sigpipe[1] >= 0) {
    int e = errno;
    ssize_t w = write(sigpipe[1], "x", 1);
    (void)w;
    errno = e;
  }
}

void sched_request_stop(void) { stop_flag = 1; }
bool sched_stop_requested(void) { return stop_flag != 0; }
bool sched_idle(void) { return !tq_head && nheap == 0; }

void sched_reset(void) {
  tq_head = tq_tail = NULL;
  nheap = 0;
  nfds = 0;
  stop_flag = 0;
}

void sched_install_signals(void) {
  static bool done;
  if (done) return;
  done = true;
  if (sigpipe[0] < 0) {
    if (pipe2(sigpipe, O_NONBLOCK | O_CLOEXEC) < 0) sigpipe[0] = sigpipe[1] = -1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

static void run_timers(void) {
  uint64_t now = now_ns();
  int guard = 0;
  while (nheap > 0 && heap[0]->expiry <= now && !stop_flag && guard++ < 4096) {
    Timer *t = heap[0];
    timer_unschedule(t);
    t->fn(t, t->arg);
  }
}

static void poll_fds(int timeout_ms) {
  struct pollfd pf[64];
  int n = 0;
  if (sigpipe[0] >= 0) pf[n++] = (struct pollfd){sigpipe[0], POLLIN, 0};
  int base = n;
  for (int i = 0; i < nfds && n < 64; i++) pf[n++] = (struct pollfd){fds[i].fd, POLLIN, 0};
  int r = poll(pf, n, timeout_ms);
  if (r <= 0) return;
  if (base && pf[0].revents) {
    char buf[16];
    while (read(sigpipe[0], buf, sizeof buf) > 0) {}
  }
  /* callbacks may modify fds: copy first */
  FdEnt ready[64];
  int nr = 0;
  for (int i = base; i < n; i++)
    if (pf[i].revents) {
      for (int k = 0; k < nfds; k++) if (fds[k].fd == pf[i].fd) { ready[nr++] = fds[k]; break; }
    }
  for (int i = 0; i < nr && !stop_flag; i++) ready[i].fn(ready[i].fd, ready[i].arg);
}

int sched_run(Router *r, int (*idle_hook)(void *), void *hookarg) {
  sched_install_signals();
  unsigned iter = 0;
  while (!stop_flag && !(r && r->stopped)) {
    run_timers();
    /* run the tasks that are scheduled now (a task rescheduling itself
     * goes to the back of the queue) */
    Task *last = tq_tail;
    while (tq_head && !stop_flag) {
      Task *t = tq_head;
      tq_head = t->next;
      if (!tq_head) tq_tail = NULL;
      t->next = NULL;
      t->scheduled = false;
      t->fn(t, t->arg);
      if (t == last) break;
    }
    if (stop_flag || (r && r->stopped)) break;
    iter++;
    if (tq_head) {
      if ((iter & 7) == 0 && (nfds || sigpipe[0] >= 0)) poll_fds(0);
      continue;
    }
    if (idle_hook && idle_hook(hookarg)) continue;
    /* nothing runnable: wait for a timer or an fd */
    if (time_simulated()) {
      if (nfds) poll_fds(0);
      if (tq_head) continue;
      if (nheap > 0) { time_warp_to(heap[0]->expiry); continue; }
      if (nfds) { poll_fds(-1); continue; }
      break; /* nothing can ever happen again */
    }
    int timeout = -1;
    if (nheap > 0) {
      uint64_t now = now_ns();
      uint64_t ex = heap[0]->expiry;
      if (ex <= now) continue;
      uint64_t ms = (ex - now + 999999) / 1000000;
      timeout = ms > 1000000 ? 1000000 : (int)ms;
    }
    poll_fds(timeout);
  }
  return 0;
}
