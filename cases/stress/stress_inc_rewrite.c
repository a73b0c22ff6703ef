// SPDX-License-Identifier: MIT
/*
 * Stress: an incrementally consumed buffer ring (IOU_PBUF_RING_INC) whose entries the
 * application rewrites while the kernel commits them. One thread, pinned to one CPU, receives
 * a byte stream with single recvs selecting from the ring; before each recv it rewrites every
 * entry (address, length SIZE, ID) and publishes them all. Another thread, pinned to the other
 * CPU, keeps rewriting the entries' lengths the whole time: to 0, to a few bytes, to SIZE, to
 * values above 2^31. An entry given to the kernel is not the application's to change, but the
 * memory is shared, and the kernel must stay within what it read (kbuf.c
 * io_kbuf_inc_commit() reads the length again when it commits).
 *
 * Anchors: 98b6fa62c84f "io_uring/kbuf: always use READ_ONCE() to read ring provided buffer
 * lengths" (a length changed between pick and commit, or 0, made the commit loop forever);
 * 78385c7299f7 "io_uring/kbuf: use READ_ONCE() for userspace-mapped memory" and a4c694bfc245
 * "io_uring/kbuf: use WRITE_ONCE() for userspace-shared buffer ring fields" (torn reads and
 * writes of addr, len, bid); the signedness of the committed length (a length above 2^31 must
 * not move an address backwards). Checked every recv: it completes within 5 s (an endless
 * commit hangs it), res is within 0..SIZE, a recv with data carries a buffer ID of the ring,
 * the bytes are the next bytes of the stream (none lost or repeated) and sit at the start of
 * that buffer, nothing is written outside them (canaries between the buffers), and every
 * entry's address stays inside its buffer, all of them together moved by at most the bytes
 * received (the commit may walk on into later entries by their rewritten lengths).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ubc_test.h"
#include "ubc_bufring.h"
#include "ubc_stress.h"

#define BGID		77
#define ENTRIES		4
#define SIZE		256
#define GAP		64		/* canary bytes before and after each buffer */
#define STRIDE		(SIZE + 2 * GAP)
#define CANARY		0xa5
#define SEED		61
#define INFLIGHT_MAX	(4 * SIZE)	/* stream bytes sent and not yet received */

FIXTURE(inc) {
	struct ubc_stress st;
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *area;		/* ENTRIES buffers of SIZE, each between canaries */
	int sv[2];
	unsigned long rewrites, zero_res, bytes;
};

FIXTURE_SETUP(inc)
{
	char why[256];
	int ret;

	UBC_REQUIRE(UBC_F_PBUF_RING_INC);
	UBC_REQUIRE(UBC_F_PBUF_STATUS);
	ret = ubc_stress_init(&self->st, why, sizeof(why));
	ASSERT_LE(0, ret) TH_LOG("%s", why);
	if (ret == 0)
		SKIP(return, "%s", why);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->area, ENTRIES * STRIDE);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, ENTRIES, BGID, IOU_PBUF_RING_INC, 0));
}

FIXTURE_TEARDOWN(inc)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->area, ENTRIES * STRIDE);
}

static unsigned char *buf_of(FIXTURE_DATA(inc) *self, int i)
{
	return self->area + (size_t)i * STRIDE + GAP;
}

/* The rewriting side: lengths only, all entries, forever. */
static void *rewriter(void *arg)
{
	FIXTURE_DATA(inc) *self = arg;
	struct ubc_stress *st = &self->st;
	unsigned int rng = 0xfeed5u;

	if (ubc_stress_pin(st, 1)) {
		ubc_stress_fail(st, "pinning the rewriting thread: %s", strerror(errno));
		return NULL;
	}
	while (!atomic_load(&st->stop)) {
		for (int i = 0; i < ENTRIES; i++) {
			unsigned int x = ubc_stress_rand(&rng), len;

			switch (x & 3) {
			case 0: len = 0; break;
			case 1: len = 1 + (x >> 8) % SIZE; break;
			case 2: len = SIZE; break;
			default: len = 0x80000000u | (x >> 4); break;
			}
			__atomic_store_n(&self->b.br->bufs[i].len, len, __ATOMIC_RELAXED);
		}
		self->rewrites++;
	}
	return NULL;
}

static int check_memory(FIXTURE_DATA(inc) *self, unsigned int r, int bid, int res)
{
	struct ubc_stress *st = &self->st;
	unsigned long long moved = 0;

	for (int i = 0; i < ENTRIES; i++) {
		unsigned char *p = self->area + (size_t)i * STRIDE;
		long before = ubc_first_not(p, GAP, CANARY);
		long after = ubc_first_not(p + GAP + SIZE, GAP, CANARY);
		long rest = i == bid ? ubc_first_not(buf_of(self, i) + res, SIZE - res, 0)
				     : ubc_first_not(buf_of(self, i), SIZE, 0);
		unsigned long long addr = __atomic_load_n(&self->b.br->bufs[i].addr, __ATOMIC_RELAXED);
		unsigned long long base = (uintptr_t)buf_of(self, i);

		if (before >= 0 || after >= 0 || rest >= 0) {
			ubc_stress_fail(st, "recv %u (res %d into buffer %d): buffer %d's memory written "
					"outside the bytes received: canary before %ld, canary after "
					"%ld, buffer byte %ld", r, res, bid, i, before, after,
					rest < 0 ? rest : rest + (i == bid ? res : 0));
			return -1;
		}
		/*
		 * The commit walks the entries by the lengths it reads then (rewritten ones): it
		 * may move later entries too, but by no more than the bytes received in all.
		 */
		if (addr < base || addr > base + SIZE) {
			ubc_stress_fail(st, "recv %u (res %d into buffer %d): entry %d's address moved "
					"to offset %lld of its buffer", r, res, bid, i,
					(long long)(addr - base));
			return -1;
		}
		moved += addr - base;
	}
	if (moved > (unsigned long long)res) {
		ubc_stress_fail(st, "recv %u: the entries' addresses advanced by %llu bytes in all, "
				"more than the %d received", r, moved, res);
		return -1;
	}
	return 0;
}

/* One recv; 0, or a failure recorded. */
static int one_recv(FIXTURE_DATA(inc) *self, unsigned int r, size_t *sent, size_t *got,
		    unsigned int *rng)
{
	struct ubc_stress *st = &self->st;
	unsigned char chunk[SIZE];
	unsigned int head, flags;
	int res, ret, bid = -1;

	if (*sent - *got < INFLIGHT_MAX) {
		size_t n = 1 + ubc_stress_rand(rng) % SIZE;

		ubc_fill(chunk, n, SEED, *sent);
		if (write(self->sv[1], chunk, n) != (ssize_t)n) {
			ubc_stress_fail(st, "recv %u: write: %s", r, strerror(errno));
			return -1;
		}
		*sent += n;
	}
	ret = ubc_br_head(&self->ring, BGID, &head);
	if (ret) {
		ubc_stress_fail(st, "recv %u: reading the ring's head: %d", r, ret);
		return -1;
	}
	for (int i = 0; i < ENTRIES; i++) {
		unsigned char *p = self->area + (size_t)i * STRIDE;

		memset(p, CANARY, GAP);
		memset(p + GAP, 0, SIZE);
		memset(p + GAP + SIZE, CANARY, GAP);
		/* Entry i holds buffer i (its resv field, the tail in entry 0, is left alone). */
		self->b.br->bufs[i].addr = (uintptr_t)buf_of(self, i);
		self->b.br->bufs[i].len = SIZE;
		self->b.br->bufs[i].bid = i;
	}
	/* Every entry published: the tail is the kernel's head plus all of them. */
	__atomic_store_n(&self->b.br->tail, (unsigned short)(head + ENTRIES), __ATOMIC_RELEASE);

	ret = ubc_recv_select(&self->ring, self->sv[0], SIZE, BGID, &res, &flags);
	if (ret) {
		ubc_stress_fail(st, "recv %u: submitting or waiting: %d", r, ret);
		return -1;
	}
	if (res < 0 || res > SIZE || (size_t)res > *sent - *got) {
		ubc_stress_fail(st, "recv %u: res %d, not within 0..%d (%zu bytes waiting)", r, res,
				SIZE, *sent - *got);
		return -1;
	}
	if (res > 0) {
		if (!(flags & IORING_CQE_F_BUFFER) || (flags >> IORING_CQE_BUFFER_SHIFT) >= ENTRIES) {
			ubc_stress_fail(st, "recv %u: res %d with flags 0x%x: no buffer ID of the ring",
					r, res, flags);
			return -1;
		}
		bid = flags >> IORING_CQE_BUFFER_SHIFT;
		if (ubc_mismatch(buf_of(self, bid), res, SEED, *got) >= 0) {
			ubc_stress_fail(st, "recv %u: the %d bytes at the start of buffer %d are not "
					"stream bytes %zu.. (first mismatch at %ld)", r, res, bid, *got,
					ubc_mismatch(buf_of(self, bid), res, SEED, *got));
			return -1;
		}
		*got += res;
		self->bytes += res;
	} else {
		self->zero_res++;
	}
	return check_memory(self, r, bid, res);
}

TEST_F_TIMEOUT(inc, rewrite_lengths_under_commit, UBC_STRESS_TIMEOUT)
{
	struct ubc_stress *st = &self->st;
	unsigned int r, rng = 0xabcdu;
	size_t sent = 0, got = 0;
	pthread_t t;

	ASSERT_EQ(0, ubc_stress_pin(st, 0));
	ubc_stress_start(st);
	ASSERT_EQ(0, ubc_stress_thread(&t, rewriter, self));
	for (r = 1; ubc_stress_running(st); r++)
		if (one_recv(self, r, &sent, &got, &rng))
			break;
	ubc_stress_stop(st);
	pthread_join(t, NULL);
	ksft_print_msg("%s: %u recvs in %ld ms, %lu bytes, %lu with res 0 (a length of 0 picked), "
		       "%lu rewrites of the ring\n", __func__, r - 1, st->ms, self->bytes,
		       self->zero_res, self->rewrites);
	ASSERT_EQ(0, atomic_load(&st->failed)) TH_LOG("%s", st->why);
}

TEST_HARNESS_MAIN
