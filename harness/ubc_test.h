/* SPDX-License-Identifier: MIT */
/*
 * What every case includes: the kselftest harness, the helpers, and assertions that
 * turn a helper's failure into a FAIL with its errno and a missing feature into a SKIP.
 */
#ifndef UBC_TEST_H
#define UBC_TEST_H

#include "ubc.h"
#include "kselftest_harness.h"

/* Fail the test unless the ring could be created. */
#define UBC_RING_INIT(ring, entries, flags) do {					\
	int __ret = io_uring_queue_init((entries), (ring), (flags));			\
	ASSERT_EQ(0, __ret) TH_LOG("io_uring_queue_init: %s", strerror(-__ret));	\
} while (0)

/* Fail the test unless a guarded buffer could be mapped. */
#define UBC_BUF(ptr, len) do {								\
	(ptr) = ubc_buf_alloc(len);							\
	ASSERT_NE(NULL, (ptr)) TH_LOG("mmap of %zu bytes: %s", (size_t)(len), strerror(errno)); \
} while (0)

/* SKIP with the probe's proof when the feature is absent; FAIL when the probe broke. */
#define UBC_REQUIRE(feature) do {							\
	char __why[256];								\
	int __p = ubc_probe((feature), __why, sizeof(__why));				\
	ASSERT_LE(0, __p) TH_LOG("probe %s failed: %s", ubc_feature_name(feature), __why); \
	if (__p == 0)									\
		SKIP(return, "%s absent: %s", ubc_feature_name(feature), __why);	\
} while (0)

/*
 * The memory cgroup of harness/ubc_memcg.c, opened with its premise proven (ubc_memcg_ready):
 * ready 1; SKIP with the reason where none can be made; FAIL when it is broken.
 */
#define UBC_MEMCG_READY(m, ready) do {							\
	char __why[256] = "";								\
	(ready) = ubc_memcg_ready((m), __why, sizeof(__why));				\
	if ((ready) == 0)								\
		SKIP(return, "memory cgroup unavailable: %s", __why);			\
	ASSERT_EQ(1, (ready)) TH_LOG("ubc_memcg_ready: %s: %s", strerror(-(ready)), __why); \
} while (0)

#endif
