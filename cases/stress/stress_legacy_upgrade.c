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
 * lists on upgrade" is the same window seen from the register side). Each round runs NSLOT
 * such recvs at once, one group and socket each, so that io-wq opens NSLOT windows; the
 * register thread tries every group still legacy in turn, and the loop goes on past its
 * deadline until it has won MIN_HITS windows (at most EXTRA durations more). Checked for
 * every recv: it completes with all the bytes sent, in the legacy buffer when the register
 * lost, and when it won in the ring's buffer (the legacy one was dropped and the retry
 * selected from the ring) or in the legacy buffer (the recv kept it across: io-wq issued it
 * blocking); the other buffer is untouched; the ring's memory is exactly what the
 * application wrote (the kernel never writes a ring that is not incremental). An unfixed
 * kernel list_add()s the buffer onto the ring's list head, which is the ring's memory:
 * with list hardening a BUG (docs/stress.md), without it a kernel pointer over entry 0 and
 * the tail.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "ubc_test.h"
#include "ubc_bufring.h"
#include "ubc_stress.h"

#define NSLOT		2
#define BGID0		211		/* slot k uses group BGID0 + k */
#define LEGACY_BID	7
#define RING_BID	9
#define ENTRIES		4
#define LEN		64
#define WINDOW_NS	2000000LL	/* how long the register side races one round */
#define MIN_HITS	3		/* windows won before the loop may end ... */
#define EXTRA		3		/* ... within this many durations after the deadline */

struct slot {
	struct io_uring_buf_ring *br;	/* the ring's memory (ours: registered by address) */
	unsigned char *legacy, *ringbuf;
	unsigned char snap[ENTRIES * sizeof(struct io_uring_buf)];
	int sv[2];
	atomic_uint won;		/* last round whose register on this group succeeded */
};

FIXTURE(upgrade) {
	struct ubc_stress st;
	struct io_uring ring;
	struct slot slot[NSLOT];
	atomic_uint armed;		/* round the register side may race, 0: none */
	atomic_uint racing;		/* round the register side is inside, 0: none */
	unsigned long attempts;
	unsigned long held;		/* wins whose recv kept its legacy buffer across */
};

FIXTURE_SETUP(upgrade)
{
	char why[256];
	int ret;

	for (int k = 0; k < NSLOT; k++)
		self->slot[k].sv[0] = self->slot[k].sv[1] = -1;
	UBC_REQUIRE(UBC_F_PROVIDE_BUFFERS);
	UBC_REQUIRE(UBC_F_BUF_RING);
	ret = ubc_stress_init(&self->st, why, sizeof(why));
	ASSERT_LE(0, ret) TH_LOG("%s", why);
	if (ret == 0)
		SKIP(return, "%s", why);
	UBC_RING_INIT(&self->ring, 4 * NSLOT, 0);
	for (int k = 0; k < NSLOT; k++) {
		struct slot *sl = &self->slot[k];

		UBC_BUF(sl->br, 4096);
		UBC_BUF(sl->legacy, LEN);
		UBC_BUF(sl->ringbuf, LEN);
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sl->sv));
	}
}

FIXTURE_TEARDOWN(upgrade)
{
	io_uring_queue_exit(&self->ring);
	for (int k = 0; k < NSLOT; k++) {
		struct slot *sl = &self->slot[k];

		close(sl->sv[0]);
		close(sl->sv[1]);
		ubc_buf_free(sl->br, 4096);
		ubc_buf_free(sl->legacy, LEN);
		ubc_buf_free(sl->ringbuf, LEN);
	}
}

/* The register side: while a round is armed, register a ring on each group until it works. */
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
			for (int k = 0; k < NSLOT; k++) {
				struct slot *sl = &self->slot[k];
				int ret;

				if (atomic_load(&sl->won) == r)
					continue;
				ret = ubc_br_register_raw(&self->ring, (uintptr_t)sl->br, ENTRIES,
							  BGID0 + k, 0, 0);
				self->attempts++;
				if (ret == 0) {
					atomic_store(&sl->won, r);
				} else if (ret != -EEXIST) {
					ubc_stress_fail(&self->st, "round %u: registering a ring on group "
							"%d with its buffer in flight: %d (%s), not 0 "
							"or -EEXIST", r, BGID0 + k, ret, strerror(-ret));
					atomic_store(&self->racing, 0);
					return NULL;
				}
			}
		}
		atomic_store(&self->racing, 0);
	}
	return NULL;
}

/* Slot k's recv completed: check it; 0, or a failure recorded in self->st. */
static int check_slot(FIXTURE_DATA(upgrade) *self, unsigned int r, int k, unsigned int n,
		      int res, unsigned int flags, unsigned long *hits)
{
	struct ubc_stress *st = &self->st;
	struct slot *sl = &self->slot[k];
	int won = atomic_load(&sl->won) == r, ret;
	/*
	 * The ring lost: the legacy buffer. The ring won: the ring's buffer when the request had
	 * put its buffer back (the kernel drops it) and selected again, or the legacy buffer
	 * when the request kept it across (a receive io-wq issued blocking, as when arming poll
	 * fails: bufring_over_legacy_inflight's behaviour), never anything else.
	 */
	unsigned int want_bid = won && flags == UBC_BUF_FLAGS(RING_BID) ? RING_BID : LEGACY_BID;
	unsigned char *got = want_bid == RING_BID ? sl->ringbuf : sl->legacy;
	unsigned char *other = want_bid == RING_BID ? sl->legacy : sl->ringbuf;

	if (res != (int)n || flags != UBC_BUF_FLAGS(want_bid)) {
		if (won)
			ubc_stress_fail(st, "round %u, group %d: recv res %d flags 0x%x, want res %u "
					"flags 0x%x or 0x%x (the ring was registered while the legacy "
					"buffer was in flight)", r, BGID0 + k, res, flags, n,
					UBC_BUF_FLAGS(LEGACY_BID), UBC_BUF_FLAGS(RING_BID));
		else
			ubc_stress_fail(st, "round %u, group %d: recv res %d flags 0x%x, want res %u "
					"flags 0x%x (no ring was registered)", r, BGID0 + k, res,
					flags, n, UBC_BUF_FLAGS(LEGACY_BID));
		return -1;
	}
	if (ubc_mismatch(got, n, r + k, 0) >= 0 || ubc_first_not(got + n, LEN - n, 0) >= 0 ||
	    ubc_first_not(other, LEN, 0) >= 0) {
		ubc_stress_fail(st, "round %u, group %d: the %u bytes are not (only) in buffer %u: "
				"first mismatch %ld, bytes after them %ld, other buffer %ld", r,
				BGID0 + k, n, want_bid, ubc_mismatch(got, n, r + k, 0),
				ubc_first_not(got + n, LEN - n, 0), ubc_first_not(other, LEN, 0));
		return -1;
	}
	if (memcmp(sl->snap, sl->br, sizeof(sl->snap))) {
		const struct io_uring_buf *e = &sl->br->bufs[0];

		ubc_stress_fail(st, "round %u, group %d: the kernel wrote the ring's memory: entry 0 "
				"addr 0x%llx len %u bid %u, tail %u (was addr %p len %u bid %u tail "
				"1)", r, BGID0 + k, (unsigned long long)e->addr, e->len, e->bid,
				sl->br->tail, (void *)sl->ringbuf, LEN, RING_BID);
		return -1;
	}
	if (won) {
		(*hits)++;
		self->held += want_bid == LEGACY_BID;
		ret = ubc_br_unregister_raw(&self->ring, BGID0 + k);
		if (ret) {
			ubc_stress_fail(st, "round %u: unregistering group %d's ring: %d", r,
					BGID0 + k, ret);
			return -1;
		}
	}
	return 0;
}

/* One round; 0, or a failure recorded in self->st. */
static int one_round(FIXTURE_DATA(upgrade) *self, unsigned int r, unsigned int *rng,
		     unsigned long *hits)
{
	struct ubc_stress *st = &self->st;
	struct timespec pause = { 0, WINDOW_NS };
	unsigned int n[NSLOT];
	int res, ret;

	for (int k = 0; k < NSLOT; k++) {
		struct slot *sl = &self->slot[k];
		struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);

		io_uring_prep_provide_buffers(sqe, sl->legacy, LEN, 1, BGID0 + k, LEGACY_BID);
		sqe->user_data = 1000 + k;
		memset(sl->br, 0, 4096);
		io_uring_buf_ring_add(sl->br, sl->ringbuf, LEN, RING_BID, ENTRIES - 1, 0);
		io_uring_buf_ring_advance(sl->br, 1);
		memcpy(sl->snap, sl->br, sizeof(sl->snap));
		memset(sl->legacy, 0, LEN);
		memset(sl->ringbuf, 0, LEN);
	}
	ret = io_uring_submit_and_wait(&self->ring, NSLOT);
	if (ret != NSLOT) {
		ubc_stress_fail(st, "round %u: submitting the provides: %d", r, ret);
		return -1;
	}
	for (int k = 0; k < NSLOT; k++) {
		unsigned long long ud;

		ret = ubc_wait_cqe_ms(&self->ring, 5000, &res, NULL, &ud);
		if (ret || res) {
			ubc_stress_fail(st, "round %u: providing a legacy buffer: %d, res %d (ud %llu)",
					r, ret, res, ud);
			return -1;
		}
	}
	for (int k = 0; k < NSLOT; k++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);

		io_uring_prep_recv(sqe, self->slot[k].sv[0], NULL, 0, 0);
		sqe->flags |= IOSQE_ASYNC | IOSQE_BUFFER_SELECT;
		sqe->buf_group = BGID0 + k;
		sqe->user_data = k;
	}
	/*
	 * Armed before the submission: the register thread then waits on the ring lock that the
	 * submission holds, next to the io-wq workers that wait for it to select, and whoever
	 * comes after a worker's select is in its window.
	 */
	atomic_store(&self->armed, r);
	ret = io_uring_submit(&self->ring);
	if (ret != NSLOT) {
		atomic_store(&self->armed, 0);
		while (atomic_load(&self->racing) == r)
			sched_yield();
		ubc_stress_fail(st, "round %u: submitting the recvs: %d", r, ret);
		return -1;
	}
	nanosleep(&pause, NULL);
	/*
	 * Disarm, then wait for a register call of this round that may be under way. A register
	 * thread not racing this round now would see armed 0 before calling (both atomics are
	 * sequentially consistent), so it cannot win a group of the round after this.
	 */
	atomic_store(&self->armed, 0);
	while (atomic_load(&self->racing) == r)
		sched_yield();
	if (atomic_load(&st->failed))
		return -1;

	for (int k = 0; k < NSLOT; k++) {
		unsigned char data[LEN];

		n[k] = 1 + ubc_stress_rand(rng) % LEN;
		ubc_fill(data, n[k], r + k, 0);
		if (write(self->slot[k].sv[1], data, n[k]) != (ssize_t)n[k]) {
			ubc_stress_fail(st, "round %u: write: %s", r, strerror(errno));
			return -1;
		}
	}
	for (int i = 0; i < NSLOT; i++) {
		unsigned long long k;
		unsigned int flags;

		ret = ubc_wait_cqe_ms(&self->ring, 5000, &res, &flags, &k);
		if (ret) {
			ubc_stress_fail(st, "round %u: %d of %d recvs did not complete in 5 s (%d) after "
					"their bytes were sent", r, NSLOT - i, NSLOT, ret);
			return -1;
		}
		if (k >= NSLOT) {
			ubc_stress_fail(st, "round %u: a CQE with user_data %llu res %d", r, k, res);
			return -1;
		}
		if (check_slot(self, r, (int)k, n[k], res, flags, hits))
			return -1;
	}
	return 0;
}

TEST_F_TIMEOUT(upgrade, ring_over_recycled_legacy_buffer, UBC_STRESS_TIMEOUT)
{
	struct ubc_stress *st = &self->st;
	struct ubc_cpu_mask mask;
	unsigned long hits = 0;
	unsigned int r, rng = 0x5eed1u;
	long long hard;
	pthread_t t;
	int ret;

	ASSERT_EQ(0, ubc_stress_pin(st, 0));
	ubc_stress_mask(st, 0, &mask);
	/* io-wq on this thread's CPU, which sleeps while the register side spins on the other. */
	ret = io_uring_register_iowq_aff(&self->ring, sizeof(mask), (cpu_set_t *)&mask);
	ASSERT_EQ(0, ret) TH_LOG("io_uring_register_iowq_aff: %s", strerror(-ret));
	ubc_stress_start(st);
	ASSERT_EQ(0, ubc_stress_thread(&t, registrar, self));
	/*
	 * A loop that never reached its window proves nothing: past the deadline, go on until
	 * MIN_HITS rounds have registered a ring in it, for at most EXTRA times the duration.
	 */
	hard = st->deadline_ns + EXTRA * st->ms * 1000000LL;
	for (r = 1; !atomic_load(&st->stop); r++) {
		long long now = ubc_now_ns();

		if (now >= hard || (now >= st->deadline_ns && hits >= MIN_HITS))
			break;
		if (one_round(self, r, &rng, &hits))
			break;
	}
	ubc_stress_stop(st);
	atomic_store(&self->armed, 0);
	pthread_join(t, NULL);
	ksft_print_msg("%s: %u rounds of %d recvs in %lld ms, a ring registered in the recycle "
		       "window %lu times (%lu of those recvs kept their legacy buffer), %lu register "
		       "attempts\n", __func__, r - 1, NSLOT,
		       (ubc_now_ns() - st->deadline_ns) / 1000000 + st->ms, hits, self->held,
		       self->attempts);
	ASSERT_EQ(0, atomic_load(&st->failed)) TH_LOG("%s", st->why);
}

TEST_HARNESS_MAIN
