// SPDX-License-Identifier: MIT
/*
 * The stress tier's helpers: duration, CPUs, deadline, first failure (ubc_stress.h).
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ubc_stress.h"

long ubc_stress_parse_ms(const char *text)
{
	char *end;
	double s;

	if (!text)
		return UBC_STRESS_DEFAULT_MS;
	errno = 0;
	s = strtod(text, &end);
	if (errno || end == text || *end || !(s >= 0.01) || s > UBC_STRESS_MAX_MS / 1000.0)
		return -1;
	return (long)(s * 1000.0 + 0.5);
}

long ubc_stress_ms(int *bad)
{
	long ms = ubc_stress_parse_ms(getenv(UBC_STRESS_ENV));

	if (bad)
		*bad = ms < 0;
	return ms < 0 ? UBC_STRESS_DEFAULT_MS : ms;
}

long long ubc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int ubc_stress_init(struct ubc_stress *st, char *why, size_t len)
{
	cpu_set_t set;
	int bad;

	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	st->ms = ubc_stress_ms(&bad);
	if (bad)
		fprintf(stderr, "# %s=%s is not a number of seconds in 0.01..%d: %ld ms used\n",
			UBC_STRESS_ENV, getenv(UBC_STRESS_ENV), UBC_STRESS_MAX_MS / 1000, st->ms);
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set)) {
		snprintf(why, len, "sched_getaffinity: %s", strerror(errno));
		return -errno;
	}
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (st->ncpus < 2)
			st->cpus[st->ncpus] = cpu;
		st->ncpus++;
	}
	if (st->ncpus < 2) {
		snprintf(why, len, "the race needs two CPUs, sched_getaffinity allows %d (CPU %d)",
			 st->ncpus, st->cpus[0]);
		return 0;
	}
	return 1;
}

void ubc_stress_start(struct ubc_stress *st)
{
	st->deadline_ns = ubc_now_ns() + st->ms * 1000000LL;
}

int ubc_stress_pin(struct ubc_stress *st, int slot)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(st->cpus[slot & 1], &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

void ubc_stress_mask(struct ubc_stress *st, int slot, struct ubc_cpu_mask *set)
{
	int cpu = st->cpus[slot & 1];
	size_t w = 8 * sizeof(unsigned long);

	memset(set, 0, sizeof(*set));
	set->bits[cpu / w] |= 1UL << (cpu % w);
}

int ubc_stress_running(struct ubc_stress *st)
{
	return !atomic_load(&st->stop) && ubc_now_ns() < st->deadline_ns;
}

void ubc_stress_stop(struct ubc_stress *st)
{
	atomic_store(&st->stop, 1);
}

void ubc_stress_fail(struct ubc_stress *st, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&st->lock);
	if (!atomic_load(&st->failed)) {
		va_start(ap, fmt);
		vsnprintf(st->why, sizeof(st->why), fmt, ap);
		va_end(ap);
		atomic_store(&st->failed, 1);
	}
	pthread_mutex_unlock(&st->lock);
	ubc_stress_stop(st);
}

int ubc_stress_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	return -pthread_create(t, NULL, fn, arg);
}

unsigned int ubc_stress_rand(unsigned int *state)
{
	unsigned int x = *state ? *state : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

void ubc_stress_spin(long long ns)
{
	long long end = ubc_now_ns() + ns;

	while (ubc_now_ns() < end)
		;
}
