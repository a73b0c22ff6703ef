// SPDX-License-Identifier: MIT
/*
 * io_uring_register(2) IORING_REGISTER_BUFFERS: the buffers' pages are "charged against the
 * user's RLIMIT_MEMLOCK resource limit". A ring made by a task without CAP_IPC_LOCK keeps its
 * user (ctx->user, io_uring_create()); registering charges each pinned page to that user's
 * locked_vm and fails with -ENOMEM past RLIMIT_MEMLOCK (io_buffer_account_pin() ->
 * __io_account_mem(): locked_vm + pages > limit); unregistering uncharges them all
 * (io_buffer_unaccount_pages() / 6.1's imu->acct_pages). The ring's own memory is not
 * charged on 6.1 (io_mem_alloc()) and 7.3 (io_create_region(NULL, ...)), but is on some
 * kernels between (see drop_and_ring(); the test logs the charge). Each test runs in a
 * child that drops to a uid of its own (setuid: no capabilities left, and a user nobody
 * else charges, so locked_vm starts at 0) and leaves LIMIT pages of RLIMIT_MEMLOCK for
 * buffers.
 * Buffers are page aligned and not huge pages (MADV_NOHUGEPAGE), so N bytes are N/4096 pages.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ubc_test.h"

#define PG 4096
#define LIMIT 16	/* pages */
#define NO_RESULT 1	/* a step not reached */
#define MAX_RING 64	/* pages a ring may be charged at most */

FIXTURE(memlock) {
	unsigned char *mem;	/* LIMIT + 1 pages */
	int fd;
	int *res;		/* shared with the child: each step's result */
};

FIXTURE_SETUP(memlock)
{
	/* Not a feature: a SKIP would prove nothing, so running as non-root is a FAIL. */
	ASSERT_EQ(0, geteuid()) TH_LOG("needs root to choose RLIMIT_MEMLOCK and a uid");
	ASSERT_EQ(PG, sysconf(_SC_PAGESIZE));
	self->mem = mmap(NULL, (LIMIT + 1) * PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	/* One page, one folio: a huge page would be charged whole (hpage accounting). */
	madvise(self->mem, (LIMIT + 1) * PG, MADV_NOHUGEPAGE);
	memset(self->mem, 1, (LIMIT + 1) * PG);
	self->fd = ubc_tmpfile(LIMIT * PG, 61);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	self->res = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);
	for (int i = 0; i < 8; i++)
		self->res[i] = NO_RESULT;
}

FIXTURE_TEARDOWN(memlock)
{
	munmap(self->res, PG);
	close(self->fd);
	munmap(self->mem, (LIMIT + 1) * PG);
}

/*
 * In the child: a fresh uid (no CAP_IPC_LOCK), then a ring, then RLIMIT_MEMLOCK = what the
 * ring was charged + LIMIT pages. Some kernels charge the ring's own pages to the same user
 * (2 pages for this ring on 6.16.12 to 7.1.13 and host 6.18.44; 0 on 6.1.176, 6.12.117,
 * 7.2.13 and 7.3.4): the limit a ring is first created under, raised a page at a time from
 * 0, is its charge (a refused ring charges nothing). *ring_pages: that charge.
 */
static int drop_and_ring(struct io_uring *ring, int *ring_pages)
{
	struct rlimit rl = { .rlim_cur = 0, .rlim_max = (MAX_RING + LIMIT) * PG };
	uid_t uid = 0x70000000 + (getpid() & 0xffffff);
	int ret = -ENOMEM;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(uid) || setuid(uid))
		return -errno;
	for (*ring_pages = 0; *ring_pages <= MAX_RING && ret == -ENOMEM; (*ring_pages)++) {
		rl.rlim_cur = *ring_pages * PG;
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			return -errno;
		ret = io_uring_queue_init(8, ring, 0);
	}
	(*ring_pages)--;
	if (ret)
		return ret;
	rl.rlim_cur = (*ring_pages + LIMIT) * PG;
	return setrlimit(RLIMIT_MEMLOCK, &rl) ? -errno : 0;
}

static int reg(struct io_uring *ring, void *base, int pages)
{
	struct iovec iov = { .iov_base = base, .iov_len = (size_t)pages * PG };

	return io_uring_register_buffers(ring, &iov, 1);
}

/* A fixed read of the whole LIMIT pages through slot 0: -1 when every byte landed. */
static int read_lands(struct io_uring *ring, unsigned char *mem, int fd)
{
	memset(mem, 0, LIMIT * PG);
	if (ubc_rw_fixed(ring, 0, fd, mem, LIMIT * PG, 0, 0) != LIMIT * PG)
		return -2;
	return (int)ubc_mismatch(mem, LIMIT * PG, 61, 0);
}

/*
 * In a child: drop, make the ring, register first pages, unregister, register again pages
 * and read through them. res: [0] drop and ring ([5] its charge), [1] first, [2] unregister,
 * [3] again, [4] the read (-1: every byte landed).
 */
static void steps(int *res, unsigned char *mem, int fd, int first, int again)
{
	struct io_uring ring;

	res[0] = drop_and_ring(&ring, &res[5]);
	if (res[0])
		return;
	res[1] = reg(&ring, mem, first);
	res[2] = io_uring_unregister_buffers(&ring);
	res[3] = reg(&ring, mem, again);
	if (!res[3])
		res[4] = read_lands(&ring, mem, fd);
	io_uring_queue_exit(&ring);
}

static void run_child(struct __test_metadata *_metadata, int *res, unsigned char *mem, int fd,
		      int first, int again)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		steps(res, mem, fd, first, again);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, res[0]) TH_LOG("setrlimit/setuid/ring: %s", strerror(-res[0]));
	TH_LOG("the ring was charged %d pages", res[5]);
}

TEST_F(memlock, one_page_over_limit_is_enomem)
{
	int *res = self->res;

	run_child(_metadata, res, self->mem, self->fd, LIMIT + 1, LIMIT);
	ASSERT_EQ(-ENOMEM, res[1]) TH_LOG("%d pages with a limit of %d", LIMIT + 1, LIMIT);
	ASSERT_EQ(-ENXIO, res[2]);
	/* The refusal charged nothing: exactly the limit fits, and maps the buffer. */
	ASSERT_EQ(0, res[3]) TH_LOG("%d pages with a limit of %d: %s", LIMIT, LIMIT, strerror(-res[3]));
	ASSERT_EQ(-1, res[4]);
}

TEST_F(memlock, unregister_uncharges_every_page)
{
	int *res = self->res;

	/* Again fits only if every page was uncharged. */
	run_child(_metadata, res, self->mem, self->fd, LIMIT, LIMIT);
	ASSERT_EQ(0, res[1]) TH_LOG("%d pages with a limit of %d: %s", LIMIT, LIMIT, strerror(-res[1]));
	ASSERT_EQ(0, res[2]);
	ASSERT_EQ(0, res[3]) TH_LOG("the same %d pages again after unregister: %s", LIMIT, strerror(-res[3]));
	ASSERT_EQ(-1, res[4]);
}

TEST_HARNESS_MAIN
