/* SPDX-License-Identifier: MIT */
/*
 * The stress tier's helpers (cases/stress, docs/stress.md): how long a race loop runs, the
 * CPUs its threads are pinned to, a deadline, and a first-failure record that threads other
 * than the test's own fill in (the kselftest harness's ASSERTs longjmp, so only the test's
 * main thread may use them; workers call ubc_stress_fail() and the main thread asserts on
 * it after joining them).
 */
#ifndef UBC_STRESS_H
#define UBC_STRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* Seconds of each race loop: a decimal number in this variable ("2", "0.5"), default 2. */
#define UBC_STRESS_ENV		"UBC_STRESS_SECONDS"
#define UBC_STRESS_DEFAULT_MS	2000
#define UBC_STRESS_MAX_MS	600000
/*
 * The harness's alarm per test, in seconds: a backstop only. A loop ends at its deadline;
 * a kernel that hangs a task is the runner's to catch (per binary and per VM).
 */
#define UBC_STRESS_TIMEOUT	900

/*
 * Milliseconds of one race loop from UBC_STRESS_SECONDS; a value that is not a number
 * between 0.01 and 600 gives the default, and *bad (when not NULL) is set to 1.
 */
long ubc_stress_ms(int *bad);
/* The pure parse behind ubc_stress_ms: text (NULL: unset) to ms, or -1 when invalid. */
long ubc_stress_parse_ms(const char *text);

long long ubc_now_ns(void);

struct ubc_stress {
	long long deadline_ns;	/* CLOCK_MONOTONIC */
	long ms;
	int cpus[2];		/* two CPUs of the allowed set: slot 0 and slot 1 */
	int ncpus;		/* CPUs the process may run on */
	atomic_int stop;
	atomic_int failed;
	pthread_mutex_t lock;
	char why[768];
};

/*
 * Read the duration, find the CPUs the process may run on (sched_getaffinity). 1 when the
 * race can run (two CPUs or more); 0 with a printable reason in why when only one CPU is
 * allowed; -errno when the affinity cannot be read.
 */
int ubc_stress_init(struct ubc_stress *st, char *why, size_t len);
/* Start the clock: the loop runs until now + st->ms. */
void ubc_stress_start(struct ubc_stress *st);
/* Pin the calling thread to the CPU of slot 0 or 1: 0 or -errno. */
int ubc_stress_pin(struct ubc_stress *st, int slot);
/* A cpu_set_t-sized mask of slot's CPU for io_uring_register_iowq_aff(): fills set. */
struct ubc_cpu_mask { unsigned long bits[1024 / (8 * sizeof(unsigned long))]; };
void ubc_stress_mask(struct ubc_stress *st, int slot, struct ubc_cpu_mask *set);
/* Neither stopped nor past the deadline. */
int ubc_stress_running(struct ubc_stress *st);
/* Stop every thread of the loop. */
void ubc_stress_stop(struct ubc_stress *st);
/* Record a failure (the first one's text is kept) and stop the loop. */
void ubc_stress_fail(struct ubc_stress *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* pthread_create, with the thread's result ignored: 0 or -errno. */
int ubc_stress_thread(pthread_t *t, void *(*fn)(void *), void *arg);
/* A small xorshift generator, one state per thread. */
unsigned int ubc_stress_rand(unsigned int *state);
/* Spin (no syscall) for about ns nanoseconds. */
void ubc_stress_spin(long long ns);

#endif
