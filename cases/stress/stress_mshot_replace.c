// SPDX-License-Identifier: MIT
/*
 * Stress: a multishot recv on a buffer ring that is being replaced. One thread, pinned to one
 * CPU, streams bytes into a socket and keeps one multishot recv armed on it, selecting from
 * group G (armed again whenever a CQE ends it); another, pinned to the other CPU,
 * unregisters G's ring and registers a new one on G, over and over, each generation with
 * fresh buffers and IDs of its own (ID = generation * 8 + entry).
 *
 * The recv looks the group up again at every receive; it must never use a ring after its
 * unregister returned, nor a list pointer kept across the lock being dropped (5fda51255439
 * "io_uring/kbuf: switch to storing struct io_buffer_list locally", and "io_uring: remove
 * async/poll related provided buffer recycles" with it, which stopped requests from keeping
 * req->buf_list; b00c51ef8f72 "io_uring/net: cache provided buffer group value for multishot
 * receives"). Checked for every CQE: res > 0 comes with a buffer ID of a generation that
 * was registered, used once only, holding exactly the next bytes of the stream; a CQE
 * without IORING_CQE_F_MORE ends the request (-ENOBUFS while the group is empty or missing)
 * and it is armed again; over the run no byte is lost or repeated (at the end the request is
 * cancelled and what it left in the socket is read directly: the stream must be whole).
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ubc_test.h"
#include "ubc_bufring.h"
#include "ubc_regbuf.h"
#include "ubc_stress.h"

#define BGID		123
#define ENTRIES		8
#define BUFSZ		64
#define NGEN		4096		/* generations at most (IDs stay below 2^15) */
#define POOL		((size_t)NGEN * ENTRIES * BUFSZ)
#define SEED		17
#define INFLIGHT_MAX	4096		/* stream bytes sent and not yet received */
#define MSHOT_UD	1ULL
#define CANCEL_UD	2ULL

FIXTURE(mshot) {
	struct ubc_stress st;
	struct io_uring ring;
	struct io_uring_buf_ring *rmem[2];	/* generation g uses rmem[g & 1] */
	unsigned char *pool;
	unsigned char *used;			/* per buffer ID */
	int sv[2];
	atomic_uint latest;			/* newest generation registered (or being) */
	unsigned long cqes, enobufs, rearms;
};

FIXTURE_SETUP(mshot)
{
	char why[256];
	int ret;

	UBC_REQUIRE(UBC_F_BUF_RING);
	ret = ubc_stress_init(&self->st, why, sizeof(why));
	ASSERT_LE(0, ret) TH_LOG("%s", why);
	if (ret == 0)
		SKIP(return, "%s", why);
	UBC_RING_INIT(&self->ring, 64, 0);
	UBC_BUF(self->rmem[0], 4096);
	UBC_BUF(self->rmem[1], 4096);
	UBC_BUF(self->pool, POOL);
	self->used = calloc(NGEN * ENTRIES, 1);
	ASSERT_NE(NULL, self->used);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, self->sv));
	ASSERT_EQ(0, fcntl(self->sv[1], F_SETFL, O_NONBLOCK));
}

FIXTURE_TEARDOWN(mshot)
{
	close(self->sv[0]);
	close(self->sv[1]);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->rmem[0], 4096);
	ubc_buf_free(self->rmem[1], 4096);
	ubc_buf_free(self->pool, POOL);
	free(self->used);
}

static unsigned char *pool_buf(FIXTURE_DATA(mshot) *self, unsigned int bid)
{
	return self->pool + (size_t)bid * BUFSZ;
}

/* Generation g's ring: fresh buffers, IDs g*ENTRIES+i, all published; 0 or -errno. */
static int register_gen(FIXTURE_DATA(mshot) *self, unsigned int g)
{
	struct io_uring_buf_ring *br = self->rmem[g & 1];

	memset(br, 0, 4096);
	for (int i = 0; i < ENTRIES; i++)
		io_uring_buf_ring_add(br, pool_buf(self, g * ENTRIES + i), BUFSZ, g * ENTRIES + i,
				      ENTRIES - 1, i);
	io_uring_buf_ring_advance(br, ENTRIES);
	atomic_store(&self->latest, g);
	return ubc_br_register_raw(&self->ring, (uintptr_t)br, ENTRIES, BGID, 0, 0);
}

/* The replacing side: unregister G's ring, register the next generation, again. */
static void *replacer(void *arg)
{
	FIXTURE_DATA(mshot) *self = arg;
	struct ubc_stress *st = &self->st;
	unsigned int rng = 0x7e57u;
	int ret;

	if (ubc_stress_pin(st, 1)) {
		ubc_stress_fail(st, "pinning the replacing thread: %s", strerror(errno));
		return NULL;
	}
	for (unsigned int g = 2; g < NGEN && ubc_stress_running(st); g++) {
		ret = ubc_br_unregister_raw(&self->ring, BGID);
		if (ret) {
			ubc_stress_fail(st, "generation %u: unregistering the ring: %d", g - 1, ret);
			break;
		}
		ret = register_gen(self, g);
		if (ret) {
			ubc_stress_fail(st, "generation %u: registering the ring: %d", g, ret);
			break;
		}
		ubc_stress_spin(ubc_stress_rand(&rng) % 200000);
	}
	return NULL;
}

static int arm(FIXTURE_DATA(mshot) *self)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);

	io_uring_prep_recv_multishot(sqe, self->sv[0], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	sqe->user_data = MSHOT_UD;
	self->rearms++;
	return io_uring_submit(&self->ring) == 1 ? 0 : -1;
}

/* Send stream bytes while fewer than INFLIGHT_MAX are waiting; 0 or -1. */
static int top_up(FIXTURE_DATA(mshot) *self, size_t *sent, size_t got)
{
	unsigned char chunk[512];

	while (*sent - got < INFLIGHT_MAX) {
		size_t n = INFLIGHT_MAX - (*sent - got);
		ssize_t w;

		n = n > sizeof(chunk) ? sizeof(chunk) : n;
		ubc_fill(chunk, n, SEED, *sent);
		w = write(self->sv[1], chunk, n);
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) {
			ubc_stress_fail(&self->st, "write to the socket: %s", strerror(errno));
			return -1;
		}
		*sent += w;
	}
	return 0;
}

/* One CQE of the recv: 1 when it ended the request, 0 when it goes on, -1 on failure. */
static int saw(FIXTURE_DATA(mshot) *self, struct ubc_cqe *c, size_t *got, int final)
{
	struct ubc_stress *st = &self->st;
	unsigned int bid, g;

	self->cqes++;
	if (c->user_data != MSHOT_UD) {
		ubc_stress_fail(st, "a CQE with user_data %llu res %d", c->user_data, c->res);
		return -1;
	}
	if (c->res > 0) {
		bid = c->flags >> IORING_CQE_BUFFER_SHIFT;
		g = bid / ENTRIES;
		if (!(c->flags & IORING_CQE_F_BUFFER) || g == 0 || g > atomic_load(&self->latest) ||
		    c->res > BUFSZ) {
			ubc_stress_fail(st, "recv res %d flags 0x%x: buffer ID %u is of generation %u, "
					"registered up to %u (res at most %d)", c->res, c->flags, bid, g,
					atomic_load(&self->latest), BUFSZ);
			return -1;
		}
		if (self->used[bid]++) {
			ubc_stress_fail(st, "buffer ID %u (generation %u) completed twice", bid, g);
			return -1;
		}
		if (ubc_mismatch(pool_buf(self, bid), c->res, SEED, *got) >= 0) {
			ubc_stress_fail(st, "buffer ID %u (generation %u): the %d bytes are not stream "
					"bytes %zu.. (first mismatch at %ld)", bid, g, c->res, *got,
					ubc_mismatch(pool_buf(self, bid), c->res, SEED, *got));
			return -1;
		}
		*got += c->res;
	} else if (c->res == -ENOBUFS || (final && c->res == -ECANCELED)) {
		self->enobufs += c->res == -ENOBUFS;
		if (c->flags & IORING_CQE_F_MORE) {
			ubc_stress_fail(st, "recv res %d with IORING_CQE_F_MORE", c->res);
			return -1;
		}
	} else {
		ubc_stress_fail(st, "recv res %d flags 0x%x, not data or -ENOBUFS", c->res, c->flags);
		return -1;
	}
	return !(c->flags & IORING_CQE_F_MORE);
}

/* Cancel the armed recv, take its last CQEs, then read what it left in the socket. */
static void finish(FIXTURE_DATA(mshot) *self, size_t sent, size_t *got, int armed)
{
	struct ubc_stress *st = &self->st;
	unsigned char rest[INFLIGHT_MAX + 512];
	int cancel_seen = !armed;
	struct ubc_cqe c;
	ssize_t n;

	if (armed) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);

		io_uring_prep_cancel64(sqe, MSHOT_UD, 0);
		sqe->user_data = CANCEL_UD;
		io_uring_submit(&self->ring);
	}
	while (armed || !cancel_seen) {
		if (ubc_next_cqe(&self->ring, 5000, &c)) {
			ubc_stress_fail(st, "cancelling the recv: no CQE within 5 s");
			return;
		}
		if (c.user_data == CANCEL_UD) {
			cancel_seen = 1;
			continue;
		}
		int ret = saw(self, &c, got, 1);

		if (ret < 0)
			return;
		if (ret)
			armed = 0;
	}
	for (n = 0; n < (ssize_t)sizeof(rest);) {
		ssize_t m = recv(self->sv[0], rest + n, sizeof(rest) - n, MSG_DONTWAIT);

		if (m < 0 && errno == EAGAIN)
			break;
		if (m <= 0) {
			ubc_stress_fail(st, "reading the rest of the stream: %zd (%s)", m,
					strerror(errno));
			return;
		}
		n += m;
	}
	if (*got + n != sent || ubc_mismatch(rest, n, SEED, *got) >= 0)
		ubc_stress_fail(st, "stream: %zu bytes sent, %zu received by the recv and %zd left in "
				"the socket (first mismatch of those at %ld)", sent, *got, n,
				ubc_mismatch(rest, n, SEED, *got));
}

TEST_F_TIMEOUT(mshot, recv_across_ring_replacements, UBC_STRESS_TIMEOUT)
{
	struct ubc_stress *st = &self->st;
	size_t sent = 0, got = 0;
	long long stalled = 0;
	int armed = 0;
	pthread_t t;

	ASSERT_EQ(0, ubc_stress_pin(st, 0));
	ASSERT_EQ(0, register_gen(self, 1));
	ubc_stress_start(st);
	ASSERT_EQ(0, ubc_stress_thread(&t, replacer, self));
	while (ubc_stress_running(st)) {
		struct ubc_cqe c;
		int ret;

		if (top_up(self, &sent, got))
			break;
		if (!armed) {
			if (arm(self)) {
				ubc_stress_fail(st, "arming the multishot recv");
				break;
			}
			armed = 1;
		}
		if (ubc_next_cqe(&self->ring, 100, &c)) {
			if (!stalled)
				stalled = ubc_now_ns();
			else if (ubc_now_ns() - stalled > 5000000000LL)
				ubc_stress_fail(st, "no CQE for 5 s with %zu stream bytes waiting and the "
						"recv armed", sent - got);
			continue;
		}
		stalled = 0;
		ret = saw(self, &c, &got, 0);
		if (ret < 0)
			break;
		if (ret)
			armed = 0;
	}
	ubc_stress_stop(st);
	pthread_join(t, NULL);
	if (!atomic_load(&st->failed))
		finish(self, sent, &got, armed);
	ksft_print_msg("%s: %u ring generations in %ld ms, %lu CQEs, %zu bytes, %lu recvs ended "
		       "by -ENOBUFS, armed %lu times\n", __func__, atomic_load(&self->latest),
		       st->ms, self->cqes, got, self->enobufs, self->rearms);
	ASSERT_EQ(0, atomic_load(&st->failed)) TH_LOG("%s", st->why);
}

TEST_HARNESS_MAIN
