// SPDX-License-Identifier: MIT
/*
 * Stress: registered buffers updated, unregistered and cloned while fixed reads are in
 * flight. One thread (pinned to one CPU) submits read_fixed requests into slot s of ring A
 * (or of ring B, a clone of A's table) from a pipe that is empty at submission, so the read
 * waits holding its buffer's node, then writes the data; another thread, pinned to the other
 * CPU, replaces slots of A with other buffers or with nothing
 * (io_uring_register_buffers_update_tag), unregisters and re-registers A's whole table, and
 * in the clone variant clones A's table into B (IORING_REGISTER_DST_REPLACE where the kernel
 * has it, else after unregistering B's).
 *
 * A buffer's node must live until the last request using it completes, and its tag is
 * posted once when it is released (rsrc.c: 7029acd8a950 "io_uring/rsrc: get rid of per-ring
 * io_rsrc_node list" and the 6.13 node rework, whose lifetime rules the clone code shares:
 * 7cc2a6eadcd7 "io_uring: add IORING_REGISTER_COPY_BUFFERS method", c1329532d5aa
 * "io_uring/rsrc: allow cloning with node replacements", 525916ce4966 "io_uring/rsrc: fix
 * lost entries after cloned range"). Checked every round: the read completes with all its
 * bytes exactly at the address it named (in the buffer that held it; the slot's other
 * buffer untouched), or fails with EFAULT (the slot held another buffer, nothing, or no
 * table when the read was imported) leaving both buffers untouched; never another result.
 * And over the run: the tag of every buffer an update replaced comes exactly once, no tag
 * comes twice, none comes for a buffer still registered or never registered (an unregister
 * posts its buffers' tags on 6.13 and later, none on 6.1 and 6.12: at most once).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"
#include "ubc_stress.h"

#define NSLOT		4
#define LEN		256
#define READ_UD		(1ULL << 63)
#define MAX_TAGS	(1 << 20)
#define MAX_UNSEEN	256	/* replaced buffers whose tag may be outstanding */

enum { BUF_X, BUF_Y, BUF_NONE };
enum { TAG_UNUSED, TAG_LIVE, TAG_UPDATED, TAG_UNREGISTERED };

FIXTURE(inflight) {
	struct ubc_stress st;
	struct io_uring a, b;
	void *mem[2 * NSLOT];		/* slot s: mem[2s] (X) and mem[2s + 1] (Y) */
	int pipes[NSLOT][2];
	atomic_int cur[NSLOT];		/* what A's slot s holds: BUF_X, BUF_Y or BUF_NONE */
	atomic_int b_ready;		/* B holds a clone */
	unsigned char *tag_state;	/* per tag: TAG_* (written before the call that drops) */
	unsigned char *tag_seen;
	atomic_long unseen;		/* replaced by an update, tag not seen yet */
	unsigned int slot_tag[NSLOT];	/* the register thread's own view of A */
	unsigned int next_tag;
	int has_b, replace;
	unsigned long updates, unregisters, clones, reads_ok, reads_efault;
};

FIXTURE_VARIANT(inflight) {
	int clone;
};

FIXTURE_VARIANT_ADD(inflight, update) { .clone = 0 };
FIXTURE_VARIANT_ADD(inflight, clone) { .clone = 1 };

static void *slot_buf(FIXTURE_DATA(inflight) *self, int s, int which)
{
	return which == BUF_NONE ? NULL : self->mem[2 * s + which];
}

FIXTURE_SETUP(inflight)
{
	char why[256];
	int ret;

	for (int s = 0; s < NSLOT; s++)
		self->pipes[s][0] = self->pipes[s][1] = -1;
	if (variant->clone) {
		UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
		ret = ubc_probe(UBC_F_CLONE_OFFSET, why, sizeof(why));
		ASSERT_LE(0, ret) TH_LOG("probe: %s", why);
		self->replace = ret;
	}
	ret = ubc_stress_init(&self->st, why, sizeof(why));
	ASSERT_LE(0, ret) TH_LOG("%s", why);
	if (ret == 0)
		SKIP(return, "%s", why);
	UBC_RING_INIT(&self->a, 256, 0);
	if (variant->clone) {
		UBC_RING_INIT(&self->b, 64, 0);
		self->has_b = 1;
	}
	ASSERT_EQ(0, ubc_bufs_alloc(self->mem, NULL, 2 * NSLOT, LEN));
	for (int s = 0; s < NSLOT; s++)
		ASSERT_EQ(0, pipe(self->pipes[s]));
	self->tag_state = calloc(MAX_TAGS, 1);
	self->tag_seen = calloc(MAX_TAGS, 1);
	ASSERT_NE(NULL, self->tag_state);
	ASSERT_NE(NULL, self->tag_seen);
}

FIXTURE_TEARDOWN(inflight)
{
	if (self->has_b)
		io_uring_queue_exit(&self->b);
	io_uring_queue_exit(&self->a);
	for (int s = 0; s < NSLOT; s++) {
		close(self->pipes[s][0]);
		close(self->pipes[s][1]);
	}
	ubc_bufs_free(self->mem, 2 * NSLOT, LEN);
	free(self->tag_state);
	free(self->tag_seen);
}

static unsigned int new_tag(FIXTURE_DATA(inflight) *self)
{
	unsigned int t = ++self->next_tag;

	if (t >= MAX_TAGS)
		return 0;
	__atomic_store_n(&self->tag_state[t], TAG_LIVE, __ATOMIC_SEQ_CST);
	return t;
}

static void drop_tag(FIXTURE_DATA(inflight) *self, unsigned int t, int how)
{
	if (!t)
		return;
	if (how == TAG_UPDATED)
		atomic_fetch_add(&self->unseen, 1);
	__atomic_store_n(&self->tag_state[t], how, __ATOMIC_SEQ_CST);
}

/* A's whole table, registered with a new tag per slot; 0 or the call's -errno. */
static int register_table(FIXTURE_DATA(inflight) *self, unsigned int *rng)
{
	struct iovec iov[NSLOT];
	__u64 tags[NSLOT];
	int which[NSLOT], ret;

	for (int s = 0; s < NSLOT; s++) {
		which[s] = ubc_stress_rand(rng) & 1;
		iov[s] = (struct iovec){ slot_buf(self, s, which[s]), LEN };
		self->slot_tag[s] = new_tag(self);
		tags[s] = self->slot_tag[s];
		if (!tags[s])
			return -E2BIG;
	}
	ret = io_uring_register_buffers_tags(&self->a, iov, tags, NSLOT);
	if (ret)
		return ret;
	for (int s = 0; s < NSLOT; s++)
		atomic_store(&self->cur[s], which[s]);
	return 0;
}

/* The register side: update, unregister and clone while the reads run. */
static void *registrar(void *arg)
{
	FIXTURE_DATA(inflight) *self = arg;
	struct ubc_stress *st = &self->st;
	unsigned int rng = 0xc0ffee11u;
	int ret;

	if (ubc_stress_pin(st, 1)) {
		ubc_stress_fail(st, "pinning the register thread: %s", strerror(errno));
		return NULL;
	}
	/*
	 * A whole-table unregister (and 6.12's unregister before a clone) waits for every node
	 * in use to be released, with the table hidden meanwhile (6.1: nr_user_bufs 0 during
	 * io_rsrc_ref_quiesce(), tens of ms under TCG): each may start only after three times
	 * its last duration, so that reads meet a table most of the time.
	 */
	long long next_unreg = 0, next_clone = 0, t0;

	while (ubc_stress_running(st)) {
		unsigned int op = ubc_stress_rand(&rng) % 32;

		if (atomic_load(&self->unseen) > MAX_UNSEEN) {
			sched_yield();
			continue;
		}
		if (op == 0 && ubc_now_ns() < next_unreg)
			op = 31;
		if (op > 0 && op < 8 && !self->replace && ubc_now_ns() < next_clone)
			op = 31;
		t0 = ubc_now_ns();
		if (op == 0) {
			for (int s = 0; s < NSLOT; s++)
				drop_tag(self, self->slot_tag[s], TAG_UNREGISTERED);
			for (int s = 0; s < NSLOT; s++)
				atomic_store(&self->cur[s], BUF_NONE);
			ret = io_uring_unregister_buffers(&self->a);
			if (ret) {
				ubc_stress_fail(st, "unregistering A's buffers: %d (%s)", ret, strerror(-ret));
				break;
			}
			ret = register_table(self, &rng);
			if (ret) {
				ubc_stress_fail(st, "registering A's buffers again: %d (%s)", ret,
						strerror(-ret));
				break;
			}
			self->unregisters++;
			next_unreg = ubc_now_ns() + 3 * (ubc_now_ns() - t0);
		} else if (self->has_b && op < 8) {
			if (self->replace) {
				ret = io_uring_clone_buffers_offset(&self->b, &self->a, 0, 0, NSLOT,
								    IORING_REGISTER_DST_REPLACE);
			} else {
				ret = io_uring_unregister_buffers(&self->b);
				if (ret && ret != -ENXIO) {
					ubc_stress_fail(st, "unregistering B's buffers: %d (%s)", ret,
							strerror(-ret));
					break;
				}
				ret = io_uring_clone_buffers(&self->b, &self->a);
			}
			if (ret) {
				ubc_stress_fail(st, "cloning A's buffers into B%s: %d (%s)",
						self->replace ? " (DST_REPLACE)" : "", ret, strerror(-ret));
				break;
			}
			atomic_store(&self->b_ready, 1);
			self->clones++;
			next_clone = ubc_now_ns() + 3 * (ubc_now_ns() - t0);
		} else {
			int s = ubc_stress_rand(&rng) % NSLOT;
			unsigned int pick = ubc_stress_rand(&rng) % 5;
			int which = pick < 2 ? BUF_X : pick < 4 ? BUF_Y : BUF_NONE;
			unsigned int tag = which == BUF_NONE ? 0 : new_tag(self);

			if (which != BUF_NONE && !tag)
				break;	/* out of tags: the run is long enough */
			drop_tag(self, self->slot_tag[s], TAG_UPDATED);
			ret = ubc_update_slot(&self->a, s, slot_buf(self, s, which),
					      which == BUF_NONE ? 0 : LEN, tag);
			if (ret != 1) {
				ubc_stress_fail(st, "updating slot %d of A: %d (%s), not 1", s, ret,
						strerror(-ret));
				break;
			}
			self->slot_tag[s] = tag;
			atomic_store(&self->cur[s], which);
			self->updates++;
		}
	}
	return NULL;
}

/* A tag CQE: 0, or a failure recorded. */
static int saw_tag(FIXTURE_DATA(inflight) *self, unsigned long long tag, int res)
{
	unsigned int state;

	if (tag == 0 || tag >= MAX_TAGS) {
		ubc_stress_fail(&self->st, "a CQE with user_data 0x%llx res %d on ring A: no request "
				"or tag of this test", tag, res);
		return -1;
	}
	state = __atomic_load_n(&self->tag_state[tag], __ATOMIC_SEQ_CST);
	if (state != TAG_UPDATED && state != TAG_UNREGISTERED) {
		ubc_stress_fail(&self->st, "tag %llu posted (res %d) for a buffer %s", tag, res,
				state == TAG_LIVE ? "still registered" : "never registered");
		return -1;
	}
	if (self->tag_seen[tag]++) {
		ubc_stress_fail(&self->st, "tag %llu posted twice", tag);
		return -1;
	}
	if (state == TAG_UPDATED)
		atomic_fetch_sub(&self->unseen, 1);
	return 0;
}

/* Take every CQE ring A holds now (tags only: no read of A is in flight). */
static int drain_a(FIXTURE_DATA(inflight) *self)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&self->a, &cqe) == 0) {
		unsigned long long ud = cqe->user_data;
		int res = cqe->res;

		io_uring_cqe_seen(&self->a, cqe);
		if (saw_tag(self, ud, res))
			return -1;
	}
	return 0;
}

static int one_read(FIXTURE_DATA(inflight) *self, unsigned int r, int on_b, unsigned int *rng)
{
	struct ubc_stress *st = &self->st;
	struct io_uring *ring = on_b ? &self->b : &self->a;
	int s = r % NSLOT, which = atomic_load(&self->cur[s]);
	unsigned char *x = slot_buf(self, s, BUF_X), *y = slot_buf(self, s, BUF_Y), *mine;
	unsigned int off = ubc_stress_rand(rng) % 32;
	unsigned int len = 1 + ubc_stress_rand(rng) % (LEN - off);
	unsigned char data[LEN], sink[LEN];
	struct ubc_cqe c;
	int ret;

	mine = which == BUF_Y ? y : x;
	memset(x, 0, LEN);
	memset(y, 0, LEN);
	ret = ubc_queue_read_fixed(ring, self->pipes[s][0], mine + off, len, s, READ_UD | r);
	if (ret) {
		ubc_stress_fail(st, "read %u: submitting: %d", r, ret);
		return -1;
	}
	ubc_stress_spin(ubc_stress_rand(rng) % 50000);
	ubc_fill(data, len, r, 0);
	if (write(self->pipes[s][1], data, len) != (ssize_t)len) {
		ubc_stress_fail(st, "read %u: write to the pipe: %s", r, strerror(errno));
		return -1;
	}
	for (;;) {
		ret = ubc_next_cqe(ring, 5000, &c);
		if (ret) {
			ubc_stress_fail(st, "read %u (slot %d of %s): no CQE within 5 s after the data "
					"was written (%d)", r, s, on_b ? "B" : "A", ret);
			return -1;
		}
		if (c.user_data == (READ_UD | r))
			break;
		if (on_b || (c.user_data & READ_UD)) {
			ubc_stress_fail(st, "read %u: unexpected CQE user_data 0x%llx res %d on %s", r,
					c.user_data, c.res, on_b ? "B" : "A");
			return -1;
		}
		if (saw_tag(self, c.user_data, c.res))
			return -1;
	}
	if (c.res == (int)len) {
		self->reads_ok++;
		if (ubc_first_not(mine, off, 0) >= 0 || ubc_mismatch(mine + off, len, r, 0) >= 0 ||
		    ubc_first_not(mine + off + len, LEN - off - len, 0) >= 0 ||
		    ubc_first_not(mine == x ? y : x, LEN, 0) >= 0) {
			ubc_stress_fail(st, "read %u (slot %d of %s, %u bytes at offset %u of buffer "
					"%c): res %d but the bytes are not exactly there: before %ld, "
					"data %ld, after %ld, other buffer %ld", r, s, on_b ? "B" : "A",
					len, off, mine == x ? 'X' : 'Y', c.res, ubc_first_not(mine, off, 0),
					ubc_mismatch(mine + off, len, r, 0),
					ubc_first_not(mine + off + len, LEN - off - len, 0),
					ubc_first_not(mine == x ? y : x, LEN, 0));
			return -1;
		}
		return 0;
	}
	if (c.res != -EFAULT) {
		ubc_stress_fail(st, "read %u (slot %d of %s, %u bytes): res %d, not %u or -EFAULT",
				r, s, on_b ? "B" : "A", len, c.res, len);
		return -1;
	}
	self->reads_efault++;
	if (read(self->pipes[s][0], sink, len) != (ssize_t)len) {
		ubc_stress_fail(st, "read %u: draining the pipe: %s", r, strerror(errno));
		return -1;
	}
	if (ubc_first_not(x, LEN, 0) >= 0 || ubc_first_not(y, LEN, 0) >= 0) {
		ubc_stress_fail(st, "read %u (slot %d of %s) failed with EFAULT but wrote buffer X "
				"at %ld, Y at %ld", r, s, on_b ? "B" : "A", ubc_first_not(x, LEN, 0),
				ubc_first_not(y, LEN, 0));
		return -1;
	}
	return 0;
}

TEST_F_TIMEOUT(inflight, reads_across_updates, UBC_STRESS_TIMEOUT)
{
	struct ubc_stress *st = &self->st;
	unsigned int r, rng = 0x12345u;
	long long end;
	pthread_t t;

	ASSERT_EQ(0, ubc_stress_pin(st, 0));
	ASSERT_EQ(0, register_table(self, &rng));
	ubc_stress_start(st);
	ASSERT_EQ(0, ubc_stress_thread(&t, registrar, self));
	for (r = 1; ubc_stress_running(st); r++) {
		int on_b = self->has_b && (r & 1) && atomic_load(&self->b_ready);

		if (one_read(self, r, on_b, &rng) || drain_a(self))
			break;
	}
	ubc_stress_stop(st);
	pthread_join(t, NULL);

	/* Every buffer an update replaced posts its tag; 6.1 posts from delayed work. */
	end = ubc_now_ns() + UBC_CQE_WAIT_MS * 1000000LL;
	while (!atomic_load(&st->failed) && atomic_load(&self->unseen) > 0 && ubc_now_ns() < end) {
		struct ubc_cqe c;

		if (ubc_next_cqe(&self->a, 100, &c) == 0)
			saw_tag(self, c.user_data, c.res);
	}
	if (!atomic_load(&st->failed) && atomic_load(&self->unseen) > 0) {
		unsigned int first = 0;

		for (unsigned int i = 1; i <= self->next_tag && i < MAX_TAGS; i++)
			if (self->tag_state[i] == TAG_UPDATED && !self->tag_seen[i]) {
				first = i;
				break;
			}
		ubc_stress_fail(st, "%ld buffers replaced by an update never had their tag posted "
				"(%d s waited; the first is tag %u)", atomic_load(&self->unseen),
				UBC_CQE_WAIT_MS / 1000, first);
	}
	ksft_print_msg("%s: %u reads in %ld ms (%lu complete, %lu EFAULT) across %lu slot "
		       "updates, %lu unregisters, %lu clones\n", __func__, r - 1, st->ms,
		       self->reads_ok, self->reads_efault, self->updates, self->unregisters,
		       self->clones);
	ASSERT_EQ(0, atomic_load(&st->failed)) TH_LOG("%s", st->why);
}

TEST_HARNESS_MAIN
