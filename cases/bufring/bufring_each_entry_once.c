// SPDX-License-Identifier: MIT
/*
 * io_uring_register_buf_ring(3) / io_uring_buf_ring_add(3): buffers added to the ring are
 * consumed by the kernel from its head in ring order, each once (kbuf.c
 * io_ring_buffer_select(): head++ per selection, bufs[head & mask]). Two laps over rings of
 * 1, 16 and the maximum 32768 entries (the second lap with IDs reversed): every ID is used
 * exactly once per lap, the data of each read is in the buffer its CQE names, and once a lap
 * is used up the next read is -ENOBUFS. Reads go in batches of 256 SQEs.
 */
#include <stdlib.h>
#include "ubc_test.h"
#include "ubc_bufring.h"

#define BGID 80
#define LEN 8
#define BATCH 256

FIXTURE(once) {
	struct io_uring ring;
	struct ubc_br b;
	unsigned char *seen;
	char *mem;
	int fd;
};

FIXTURE_VARIANT(once) {
	unsigned int entries;
};

FIXTURE_VARIANT_ADD(once, one) { .entries = 1 };
FIXTURE_VARIANT_ADD(once, sixteen) { .entries = 16 };
FIXTURE_VARIANT_ADD(once, max_32768) { .entries = 32768 };

FIXTURE_SETUP(once)
{
	UBC_REQUIRE(UBC_F_BUF_RING);
	UBC_RING_INIT(&self->ring, BATCH, 0);
	UBC_BUF(self->mem, (size_t)variant->entries * LEN);
	self->seen = calloc(variant->entries, 1);
	ASSERT_NE(NULL, self->seen);
	self->fd = ubc_tmpfile((size_t)variant->entries * LEN, 50);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	ASSERT_EQ(0, ubc_br_setup(&self->ring, &self->b, variant->entries, BGID, 0, 0));
}

FIXTURE_TEARDOWN(once)
{
	ubc_br_free(&self->ring, &self->b);
	close(self->fd);
	io_uring_queue_exit(&self->ring);
	ubc_buf_free(self->mem, (size_t)variant->entries * LEN);
	free(self->seen);
}

/* Buffer i (memory slot i) gets ID bid_of(i); lap 1 forward, lap 2 reversed. */
static unsigned int bid_of(unsigned int i, unsigned int n, int lap)
{
	return lap ? n - 1 - i : i;
}

TEST_F_TIMEOUT(once, every_entry_once_per_lap, 100)
{
	unsigned int n = variant->entries, mask = n - 1;
	int res[BATCH];
	unsigned int flags[BATCH];
	unsigned long long ud[BATCH];

	for (int lap = 0; lap < 2; lap++) {
		memset(self->mem, 0, (size_t)n * LEN);
		memset(self->seen, 0, n);
		for (unsigned int i = 0; i < n; i++)
			io_uring_buf_ring_add(self->b.br, self->mem + (size_t)i * LEN, LEN,
					      bid_of(i, n, lap), mask, i);
		io_uring_buf_ring_advance(self->b.br, n);
		for (unsigned int done = 0; done < n;) {
			unsigned int k = n - done < BATCH ? n - done : BATCH;

			for (unsigned int j = 0; j < k; j++) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(&self->ring);

				ASSERT_NE(NULL, sqe);
				/* Read j of the batch reads file chunk done+j. */
				io_uring_prep_read(sqe, self->fd, NULL, LEN, (unsigned long long)(done + j) * LEN);
				sqe->flags |= IOSQE_BUFFER_SELECT;
				sqe->buf_group = BGID;
				sqe->user_data = done + j;
			}
			ASSERT_EQ(0, ubc_submit_reap(&self->ring, k, res, flags, ud));
			for (unsigned int j = 0; j < k; j++) {
				unsigned int bid = flags[j] >> IORING_CQE_BUFFER_SHIFT;
				unsigned int slot = lap ? n - 1 - bid : bid;

				ASSERT_EQ(LEN, res[j]) TH_LOG("lap %d read %llu", lap, ud[j]);
				ASSERT_EQ(UBC_BUF_FLAGS(bid), flags[j]);
				ASSERT_GT(n, bid);
				ASSERT_EQ(0, self->seen[bid]) TH_LOG("lap %d: ID %u used twice", lap, bid);
				self->seen[bid] = 1;
				ASSERT_EQ(-1, ubc_mismatch(self->mem + (size_t)slot * LEN, LEN, 50, ud[j] * LEN))
					TH_LOG("lap %d: ID %u does not hold chunk %llu", lap, bid, ud[j]);
			}
			done += k;
		}
		ASSERT_EQ(0, ubc_read_select(&self->ring, self->fd, LEN, 0, BGID, &res[0], &flags[0]));
		ASSERT_EQ(-ENOBUFS, res[0]) TH_LOG("lap %d", lap);
		ASSERT_EQ(0u, flags[0]);
	}
}

TEST_HARNESS_MAIN
