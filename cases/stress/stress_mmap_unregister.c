// SPDX-License-Identifier: MIT
/*
 * Stress: mmap of a kernel-allocated buffer ring (IOU_PBUF_RING_MMAP) racing its unregister.
 * One thread registers a ring on a group, uses it (a selecting read must get its buffer and
 * data) and unregisters it, over and over; another, pinned to the other CPU, maps the group's
 * ring offset the whole time and writes a marker into entries 1..7 of every mapping it gets,
 * also after the ring it mapped is gone (a mapping keeps its pages: the application may
 * write there, nothing reads it any more).
 *
 * The bug class (CVE-2024-0582, c392cbecd8ec "io_uring/kbuf: defer release of mapped buffer
 * rings"; 561e4f9451d6 "io_uring/kbuf: hold io_buffer_list reference over mmap";
 * 6b69c4ab4f68 "io_uring/kbuf: protect io_buffer_list teardown with a reference"; later the
 * region code, whose mappings hold page references): mmap looks the ring up, unregister frees
 * its pages, mmap maps the freed pages, and the mapping's writes land in whatever reuses them.
 * Checked: mmap either works or fails with EINVAL/ENOMEM (the kernels' "no ring there");
 * every ring the first thread registers reads entry 0 as zero and its buffer selection
 * works; and a victim ring, registered right after each unregister so that it takes pages
 * just freed on this CPU, stays all zero through the next round (nobody maps or writes it:
 * a marker there is a write through a mapping of freed pages).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ubc_test.h"
#include "ubc_bufring.h"
#include "ubc_stress.h"

#define BGID		91
#define VICTIM_BGID	92
#define ENTRIES		8
#define LEN		64
#define PAGE		4096
#define MARK		0xb5b5b5b500000000ULL

static unsigned long long pbuf_off(unsigned int bgid)
{
	return IORING_OFF_PBUF_RING | ((unsigned long long)bgid << IORING_OFF_PBUF_SHIFT);
}

FIXTURE(mmap_race) {
	struct ubc_stress st;
	struct io_uring ring;
	unsigned char *data;
	int fd;
	atomic_uint gen;		/* rounds the register side has finished */
	unsigned long maps, refused, stale_writes;
};

FIXTURE_SETUP(mmap_race)
{
	char why[256];
	int ret;

	UBC_REQUIRE(UBC_F_PBUF_RING_MMAP);
	ret = ubc_stress_init(&self->st, why, sizeof(why));
	ASSERT_LE(0, ret) TH_LOG("%s", why);
	if (ret == 0)
		SKIP(return, "%s", why);
	UBC_RING_INIT(&self->ring, 8, 0);
	UBC_BUF(self->data, LEN);
	self->fd = ubc_tmpfile(LEN, 33);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(mmap_race)
{
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->data, LEN);
}

/* The mapping side: map the group's ring, mark entries 1..7, keep it one round, unmap. */
static void *mapper(void *arg)
{
	FIXTURE_DATA(mmap_race) *self = arg;
	struct ubc_stress *st = &self->st;

	if (ubc_stress_pin(st, 1)) {
		ubc_stress_fail(st, "pinning the mmap thread: %s", strerror(errno));
		return NULL;
	}
	while (!atomic_load(&st->stop)) {
		struct io_uring_buf_ring *br;
		unsigned int g0;

		br = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, self->ring.ring_fd,
			  pbuf_off(BGID));
		if (br == MAP_FAILED) {
			if (errno != EINVAL && errno != ENOMEM) {
				ubc_stress_fail(st, "mmap of the group's ring: %s, not EINVAL or "
						"ENOMEM", strerror(errno));
				return NULL;
			}
			self->refused++;
			/* No ring now: let the other CPU's mmap and munmap have the mm's lock. */
			sched_yield();
			continue;
		}
		self->maps++;
		/*
		 * The ring mapped is of the round under way when gen is read, or an older one: once
		 * gen moves on it has been unregistered. Write until then, and once more after.
		 */
		g0 = atomic_load(&self->gen);
		for (int stale = 0; !stale && !atomic_load(&st->stop);) {
			stale = atomic_load(&self->gen) != g0;
			for (int i = 1; i < ENTRIES; i++)
				__atomic_store_n(&br->bufs[i].addr, MARK | i, __ATOMIC_RELAXED);
			self->stale_writes += stale;
		}
		munmap(br, PAGE);
	}
	return NULL;
}

/* The first nonzero 8-byte word of a page, or -1. */
static long nonzero_word(const void *p)
{
	const unsigned long long *w = p;

	for (long i = 0; i < PAGE / 8; i++)
		if (w[i])
			return i;
	return -1;
}

static int one_round(FIXTURE_DATA(mmap_race) *self, unsigned int r, struct ubc_br *victim)
{
	struct ubc_stress *st = &self->st;
	struct ubc_br b;
	unsigned int flags;
	long w;
	int res, ret;

	ret = ubc_br_setup(&self->ring, &b, ENTRIES, BGID, IOU_PBUF_RING_MMAP, 0);
	if (ret) {
		ubc_stress_fail(st, "round %u: registering and mapping the ring: %d", r, ret);
		return -1;
	}
	/* ubc_br_setup zeroed the tail; the other thread writes entries 1.. only. */
	if (b.br->bufs[0].addr || b.br->bufs[0].len || b.br->bufs[0].bid) {
		ubc_stress_fail(st, "round %u: a fresh kernel ring's entry 0 is not zero: addr "
				"0x%llx len %u bid %u", r, (unsigned long long)b.br->bufs[0].addr,
				b.br->bufs[0].len, b.br->bufs[0].bid);
		ubc_br_free(&self->ring, &b);
		return -1;
	}
	memset(self->data, 0, LEN);
	ubc_br_fill(&b, self->data, LEN, 1, r & 0xffff);
	ret = ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res, &flags);
	if (ret || res != LEN || flags != UBC_BUF_FLAGS(r & 0xffff) ||
	    ubc_mismatch(self->data, LEN, 33, 0) >= 0) {
		ubc_stress_fail(st, "round %u: a read selecting from the ring: ret %d res %d flags "
				"0x%x (want %d, 0x%x), data mismatch at %ld", r, ret, res, flags, LEN,
				UBC_BUF_FLAGS(r & 0xffff), ubc_mismatch(self->data, LEN, 33, 0));
		ubc_br_free(&self->ring, &b);
		return -1;
	}
	/* Live a little longer, so that the other thread's mmap often meets the unregister. */
	ubc_stress_spin((r * 2654435761u) % 50000);
	ret = ubc_br_free(&self->ring, &b);
	if (ret) {
		ubc_stress_fail(st, "round %u: unregistering the ring: %d", r, ret);
		return -1;
	}
	/* The previous round's victim has lived through a whole round of writes: still zero? */
	if (victim->br) {
		w = nonzero_word(victim->br);
		if (w >= 0) {
			ubc_stress_fail(st, "round %u: the victim ring (registered after the last "
					"unregister, never mapped by the other thread) has word %ld = "
					"0x%llx%s", r, w, ((unsigned long long *)victim->br)[w],
					(((unsigned long long *)victim->br)[w] & ~0xffULL) == MARK ?
					": the other thread's marker, written through a mapping of "
					"freed pages" : "");
			return -1;
		}
		ret = ubc_br_free(&self->ring, victim);
		if (ret) {
			ubc_stress_fail(st, "round %u: unregistering the victim ring: %d", r, ret);
			return -1;
		}
	}
	ret = ubc_br_setup(&self->ring, victim, ENTRIES, VICTIM_BGID, IOU_PBUF_RING_MMAP, 0);
	if (ret) {
		ubc_stress_fail(st, "round %u: registering the victim ring: %d", r, ret);
		return -1;
	}
	atomic_fetch_add(&self->gen, 1);
	return 0;
}

TEST_F_TIMEOUT(mmap_race, map_while_unregistering, UBC_STRESS_TIMEOUT)
{
	struct ubc_stress *st = &self->st;
	struct ubc_br victim = { 0 };
	unsigned int r;
	pthread_t t;

	ASSERT_EQ(0, ubc_stress_pin(st, 0));
	ubc_stress_start(st);
	ASSERT_EQ(0, ubc_stress_thread(&t, mapper, self));
	for (r = 1; ubc_stress_running(st); r++)
		if (one_round(self, r, &victim))
			break;
	ubc_stress_stop(st);
	pthread_join(t, NULL);
	if (victim.br && !atomic_load(&st->failed) && nonzero_word(victim.br) >= 0)
		ubc_stress_fail(st, "the last victim ring is not zero: word %ld",
				nonzero_word(victim.br));
	ubc_br_free(&self->ring, &victim);
	ksft_print_msg("%s: %u rounds in %ld ms, %lu mappings (%lu written after their ring was "
		       "unregistered), %lu refused\n", __func__, r - 1, st->ms, self->maps,
		       self->stale_writes, self->refused);
	ASSERT_EQ(0, atomic_load(&st->failed)) TH_LOG("%s", st->why);
}

TEST_HARNESS_MAIN
