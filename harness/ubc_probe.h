/* SPDX-License-Identifier: MIT */
/*
 * For the probe files (ubc_probe*.c) only: ubc_why() writes a probe's reason into why
 * (vsnprintf) and returns ret, so a decision is one line, e.g.
 * return ubc_why(why, len, 0, "errno EINVAL: ...").
 */
#ifndef UBC_PROBE_H
#define UBC_PROBE_H

#include <stddef.h>

int ubc_why(char *why, size_t len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
