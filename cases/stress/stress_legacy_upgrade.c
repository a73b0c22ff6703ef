// SPDX-License-Identifier: MIT
/*
 * Stress: a legacy group turned into a buffer ring while io-wq recycles the group's legacy
 * buffer into it. A recv with IOSQE_ASYNC runs in io-wq: it takes the group's one legacy
 * buffer under the ring lock, drops the lock, finds no data (-EAGAIN) and takes the lock
 * again to put the buffer back before arming poll (net.c io_recv(), kbuf.c
 * io_kbuf_recycle_legacy()). In between the group is empty, and an empty legacy group may be
 * replaced by a ring (kbuf.c io_register_pbuf_ring()); another thread, pinned to the other
 * CPU, tries to register a ring on the group the whole time.
 *
 * When it wins, the kernel must drop the legacy buffer instead of putting it on the list
 * head that is now the ring's (c2c185be5c85 "io_uring/kbuf: check if target buffer list is
 * still legacy on recycle", Fixes c7fb19428d67; 8802766324e1 "io_uring/kbuf: reallocate buf
 * lists on upgrade" is the same window seen from the register side). Checked every round:
 * the recv completes with all the bytes sent, in the legacy buffer when the register lost
 * and in the ring's buffer when it won (the ring serves the retry), the other buffer is
 * untouched, and the ring's memory is exactly what the application wrote (the kernel never
 * writes a ring that is not incremental; an unfixed kernel's list_add writes a kernel
 * pointer over entry 0 and the tail).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "ubc_test.h"
#include "ubc_bufring.h"
#include "ubc_stress.h"

#define BGID		211
#define LEGACY_BID	7
#define RING_BID	9
#define ENTRIES		4
#define LEN		64
#define WINDOW_NS	1500000LL	/* how long the register side races one recv */

FIXTURE(upgrade) {
	struct ubc_stress st;
	struct io_uring ring;
	struct io_uring_buf_ring *br;	/* the ring's memory (ours: registered by address) */
	unsigned char *legacy, *ringbuf;
	int sv[2];
	atomic_uint armed;		/* round the register side may race, 0: none */
	atomic_uint racing;		/* round the register side is inside, 0: none */
	atomic_uint won;		/* last round whose register succeeded */
	unsigned long attempts;
};

FIXTURE_SETUP(upgrade)
{
	char why[256];
	int ret;

	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_REQUIRE(UBC_F_BUF_RING);
	ret = ubc_stress_init(&self->st, why, sizeof(why));
	ASSERT_LE(0, ret) TH_LOG("%s", why);
	if (ret == 0)
		SKIP(return, "%s", why);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->br, 4096);
	UBC_BUF(self->legacy, LEN);
	UBC_BUF(self->ringbuf, LEN);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
}

FIXTURE_TEARDOWN(upgrade)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->br, 4096);
	ubc_buf_free(self->legacy, LEN);
	ubc_buf_free(self->ringbuf, LEN);
}

/* The register side: while a round is armed, register a ring on the group until it works. */
static void *registrar(void *arg)
{
	FIXTURE_DATA(upgrade) *self = arg;
	unsigned int seen = 0;

	if (ubc_stress_pin(&self->st, 1)) {
		ubc_stress_fail(&self->st, "pinning the register thread: %s", strerror(errno));
		return NULL;
	}
	while (!atomic_load(&self->st.stop)) {
		unsigned int r = atomic_load(&self->armed);

		if (!r || r == seen)
			continue;
		seen = r;
		/* Said before armed is read again: the round waits for it (see one_round). */
		atomic_store(&self->racing, r);
		while (atomic_load(&self->armed) == r) {
			int ret = ubc_br_register_raw(&self->ring, (uintptr_t)self->br, ENTRIES,
						      BGID, 0, 0);

			self->attempts++;
			if (ret == 0) {
				atomic_store(&self->won, r);
				break;
			}
			if (ret != -EEXIST) {
				ubc_stress_fail(&self->st, "round %u: registering a ring on a group "
						"with its buffer in flight: %d (%s), not 0 or -EEXIST",
						r, ret, strerror(-ret));
				break;
			}
		}
		atomic_store(&self->racing, 0);
	}
	return NULL;
}

/* One round; 0, or a failure recorded in self->st. */
static int one_round(FIXTURE_DATA(upgrade) *self, unsigned int r, unsigned int *rng,
		     unsigned long *hits)
{
	struct ubc_stress *st = &self->st;
	struct timespec pause = { 0, WINDOW_NS };
	unsigned char snap[ENTRIES * sizeof(struct io_uring_buf)];
	unsigned char data[LEN];
	struct io_uring_sqe *sqe;
	unsigned int flags, want_bid, n;
	unsigned char *got, *other;
	int res, ret, won;

	ret = ubc_provide(&self->ring, self->legacy, LEN, 1, BGID, LEGACY_BID, &res);
	if (ret || res) {
		ubc_stress_fail(st, "round %u: providing the legacy buffer: %d, res %d", r, ret, res);
		return -1;
	}
	memset(self->br, 0, 4096);
	io_uring_buf_ring_add(self->br, self->ringbuf, LEN, RING_BID, ENTRIES - 1, 0);
	io_uring_buf_ring_advance(self->br, 1);
	memcpy(snap, self->br, sizeof(snap));
	memset(self->legacy, 0, LEN);
	memset(self->ringbuf, 0, LEN);

	sqe = io_uring_get_sqe(&self->ring);
	io_uring_prep_recv(sqe, self->sv[0], NULL, 0, 0);
	sqe->flags |= IOSQE_ASYNC | IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = r;
	ret = io_uring_submit(&self->ring);
	if (ret != 1) {
		ubc_stress_fail(st, "round %u: submitting the recv: %d", r, ret);
		return -1;
	}
	atomic_store(&self->armed, r);
	nanosleep(&pause, NULL);
	/*
	 * Disarm, then wait for a register call of this round that may be under way. A register
	 * thread not racing this round now would see armed 0 before calling (both atomics are
	 * sequentially consistent), so it cannot win the round after this.
	 */
	atomic_store(&self->armed, 0);
	while (atomic_load(&self->racing) == r)
		sched_yield();
	if (atomic_load(&st->stop) && atomic_load(&st->failed))
		return -1;
	won = atomic_load(&self->won) == r;

	n = 1 + ubc_stress_rand(rng) % LEN;
	ubc_fill(data, n, r, 0);
	if (write(self->sv[1], data, n) != (ssize_t)n) {
		ubc_stress_fail(st, "round %u: write: %s", r, strerror(errno));
		return -1;
	}
	ret = ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, NULL);
	if (ret) {
		ubc_stress_fail(st, "round %u: the recv did not complete in 5 s (%d) after %u bytes "
				"were sent (ring registered in its window: %s)", r, ret, n,
				won ? "yes" : "no");
		return -1;
	}
	want_bid = won ? RING_BID : LEGACY_BID;
	got = won ? self->ringbuf : self->legacy;
	other = won ? self->legacy : self->ringbuf;
	if (res != (int)n || flags != UBC_BUF_FLAGS(want_bid)) {
		ubc_stress_fail(st, "round %u: recv res %d flags 0x%x, want res %u flags 0x%x (buffer "
				"%u: the ring %s registered while the legacy buffer was in flight)",
				r, res, flags, n, UBC_BUF_FLAGS(want_bid), want_bid,
				won ? "was" : "was not");
		return -1;
	}
	if (ubc_mismatch(got, n, r, 0) >= 0 || ubc_first_not(got + n, LEN - n, 0) >= 0 ||
	    ubc_first_not(other, LEN, 0) >= 0) {
		ubc_stress_fail(st, "round %u: the %u bytes are not (only) in buffer %u: first "
				"mismatch %ld, bytes after them %ld, other buffer %ld", r, n, want_bid,
				ubc_mismatch(got, n, r, 0), ubc_first_not(got + n, LEN - n, 0),
				ubc_first_not(other, LEN, 0));
		return -1;
	}
	if (memcmp(snap, self->br, sizeof(snap))) {
		const struct io_uring_buf *e = &self->br->bufs[0];

		ubc_stress_fail(st, "round %u: the kernel wrote the ring's memory: entry 0 addr "
				"0x%llx len %u bid %u, tail %u (was addr %p len %u bid %u tail 1)",
				r, (unsigned long long)e->addr, e->len, e->bid, self->br->tail,
				(void *)self->ringbuf, LEN, RING_BID);
		return -1;
	}
	if (won) {
		(*hits)++;
		ret = ubc_br_unregister_raw(&self->ring, BGID);
		if (ret) {
			ubc_stress_fail(st, "round %u: unregistering the ring: %d", r, ret);
			return -1;
		}
	}
	return 0;
}

TEST_F_TIMEOUT(upgrade, ring_over_recycled_legacy_buffer, UBC_STRESS_TIMEOUT)
{
	struct ubc_stress *st = &self->st;
	struct ubc_cpu_mask mask;
	unsigned long hits = 0;
	unsigned int r, rng = 0x5eed1u;
	pthread_t t;
	int ret;

	ASSERT_EQ(0, ubc_stress_pin(st, 0));
	ubc_stress_mask(st, 0, &mask);
	/* io-wq on this thread's CPU, which sleeps while the register side spins on the other. */
	ret = io_uring_register_iowq_aff(&self->ring, sizeof(mask), (cpu_set_t *)&mask);
	ASSERT_EQ(0, ret) TH_LOG("io_uring_register_iowq_aff: %s", strerror(-ret));
	ubc_stress_start(st);
	ASSERT_EQ(0, ubc_stress_thread(&t, registrar, self));
	for (r = 1; ubc_stress_running(st); r++)
		if (one_round(self, r, &rng, &hits))
			break;
	ubc_stress_stop(st);
	atomic_store(&self->armed, 0);
	pthread_join(t, NULL);
	ksft_print_msg("%s: %u rounds in %ld ms, ring registered in the recycle window %lu "
		       "times, %lu register attempts\n", __func__, r - 1, st->ms, hits,
		       self->attempts);
	ASSERT_EQ(0, atomic_load(&st->failed)) TH_LOG("%s", st->why);
}

TEST_HARNESS_MAIN
