// SPDX-License-Identifier: MIT
/*
 * io_uring_clone_buffers(3) RETURN VALUE lists -ENOMEM. For a ring without CAP_IPC_LOCK,
 * registering buffers charges their pages to the user's RLIMIT_MEMLOCK and fails with
 * -ENOMEM past it (io_uring/rsrc.c io_account_mem()); a clone charges nothing (rsrc.c:
 * "Since the memory is already accounted once, don't account it again"), so a limit that
 * refuses registering the same buffers on dst does not refuse cloning them. The test runs
 * in a child that drops to uid/gid 65534 with a limit of 64 pages: src registers 32 pages
 * (fits, whatever the three small rings are charged: a few pages), dst registering 40 more
 * is -ENOMEM (72 > 64 without the rings), the clone of src's 32 into a third ring is 0 and a
 * fixed read through it works. The clone's own -ENOMEM, a failed table allocation, is
 * provoked by the second test, in a memory cgroup.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ubc_test.h"

#define PG 4096
#define LIMIT 64	/* pages */
#define SRC 32
#define DST 40
#define NOBODY 65534

FIXTURE(memlock) {
	void *mem[2];		/* mem[0]: SRC pages for src; mem[1]: DST pages for dst */
	int fd;
};

FIXTURE_SETUP(memlock)
{
	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	/* Not a feature: a SKIP would prove nothing, so running as non-root is a FAIL. */
	ASSERT_EQ(0, geteuid()) TH_LOG("needs root to drop to uid %d with a chosen RLIMIT_MEMLOCK", NOBODY);
	ASSERT_EQ(PG, sysconf(_SC_PAGESIZE));
	UBC_BUF(self->mem[0], SRC * PG);
	UBC_BUF(self->mem[1], DST * PG);
	/* Touch them so each page is a real, distinct one. */
	memset(self->mem[0], 1, SRC * PG);
	memset(self->mem[1], 1, DST * PG);
	self->fd = ubc_tmpfile(SRC * PG, 38);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(memlock)
{
	close(self->fd);
	ubc_buf_free(self->mem[0], SRC * PG);
	ubc_buf_free(self->mem[1], DST * PG);
}

/* What the unprivileged child saw: each step's result, in order. */
struct steps {
	int drop, rings, src_reg, dst_reg, clone, io;
	long bad;
};

static void unprivileged(void **mem, int fd, struct steps *s)
{
	struct rlimit rl = { .rlim_cur = LIMIT * PG, .rlim_max = LIMIT * PG };
	struct iovec src_iov = { .iov_base = mem[0], .iov_len = SRC * PG };
	struct iovec dst_iov = { .iov_base = mem[1], .iov_len = DST * PG };
	struct io_uring src, dst, dst2;

	s->drop = setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(NOBODY) || setuid(NOBODY) ? -errno : 0;
	if (s->drop)
		return;
	s->rings = io_uring_queue_init(8, &src, 0);
	if (s->rings)
		return;
	s->rings = io_uring_queue_init(8, &dst, 0);
	if (s->rings)
		goto out_src;
	s->rings = io_uring_queue_init(8, &dst2, 0);
	if (s->rings)
		goto out_dst;
	s->src_reg = io_uring_register_buffers(&src, &src_iov, 1);
	/* SRC charged, + DST more > LIMIT. */
	s->dst_reg = io_uring_register_buffers(&dst, &dst_iov, 1);
	s->clone = io_uring_clone_buffers(&dst2, &src);
	if (!s->clone) {
		memset(mem[0], 0, SRC * PG);
		s->io = ubc_rw_fixed(&dst2, 0, fd, mem[0], SRC * PG, 0, 0);
		s->bad = ubc_mismatch(mem[0], SRC * PG, 38, 0);
	}
	io_uring_queue_exit(&dst2);
out_dst:
	io_uring_queue_exit(&dst);
out_src:
	io_uring_queue_exit(&src);
}

TEST_F(memlock, clone_is_not_charged_again)
{
	struct steps *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, s);
	*s = (struct steps){ .drop = 1, .rings = 1, .src_reg = 1, .dst_reg = 1,
			     .clone = 1, .io = 1, .bad = 0 };
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unprivileged(self->mem, self->fd, s);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, s->drop) TH_LOG("setrlimit/setgid/setuid: %s", strerror(-s->drop));
	ASSERT_EQ(0, s->rings) TH_LOG("io_uring_queue_init: %s", strerror(-s->rings));
	ASSERT_EQ(0, s->src_reg) TH_LOG("src: %d pages, limit %d: %s", SRC, LIMIT, strerror(-s->src_reg));
	ASSERT_EQ(-ENOMEM, s->dst_reg) TH_LOG("dst: %d more pages: %d", DST, s->dst_reg);
	ASSERT_EQ(0, s->clone) TH_LOG("clone of the 2 charged pages: %s", strerror(-s->clone));
	ASSERT_EQ(SRC * PG, s->io);
	ASSERT_EQ(-1, s->bad);
	munmap(s, sizeof(*s));
}

/*
 * RETURN VALUE -ENOMEM, "The kernel ran out of memory", provoked: in a memory cgroup
 * limited to 0 bytes (harness/ubc_memcg.c), cloning src's one buffer into an empty dst is
 * -ENOMEM (dst's table cannot be allocated: io_rsrc_data_alloc(), GFP_KERNEL_ACCOUNT) and
 * leaves dst without a table (unregister: ENXIO); with the limit lifted the same clone works
 * and a fixed read through dst lands in src's buffer. Both rings are set up before the
 * limit. Where no cgroup2 memory controller exists the test skips with that proof.
 */
FIXTURE(enomem) {
	struct io_uring src, dst;
	void *mem;
	int fd;
	struct ubc_memcg m;
	int ready;
};

FIXTURE_SETUP(enomem)
{
	struct iovec iov;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	UBC_RING_INIT(&self->src, 8, 0);
	UBC_RING_INIT(&self->dst, 8, 0);
	UBC_BUF(self->mem, PG);
	iov = (struct iovec){ .iov_base = self->mem, .iov_len = PG };
	ASSERT_EQ(0, io_uring_register_buffers(&self->src, &iov, 1));
	self->fd = ubc_tmpfile(PG, 39);
	ASSERT_LE(0, self->fd) TH_LOG("tmpfile: %s", strerror(-self->fd));
	UBC_MEMCG_READY(&self->m, self->ready);
}

FIXTURE_TEARDOWN(enomem)
{
	if (self->ready == 1)
		ubc_memcg_close(&self->m);
	close(self->fd);
	io_uring_queue_exit(&self->dst);
	io_uring_queue_exit(&self->src);
	ubc_buf_free(self->mem, PG);
}

TEST_F(enomem, clone_in_memcg_limit_0)
{
	int limit, limited, table, lifted;

	ASSERT_EQ(0, ubc_memcg_enter(&self->m));
	limit = ubc_memcg_limit(&self->m, "0");
	limited = io_uring_clone_buffers(&self->dst, &self->src);
	ASSERT_EQ(0, ubc_memcg_limit(&self->m, "max"));
	table = io_uring_unregister_buffers(&self->dst);
	lifted = io_uring_clone_buffers(&self->dst, &self->src);
	ASSERT_EQ(0, ubc_memcg_leave(&self->m));
	ASSERT_EQ(0, limit);
	ASSERT_EQ(-ENOMEM, limited);
	ASSERT_EQ(-ENXIO, table);
	ASSERT_EQ(0, lifted);
	memset(self->mem, 0, PG);
	ASSERT_EQ(PG, ubc_rw_fixed(&self->dst, 0, self->fd, self->mem, PG, 0, 0));
	ASSERT_EQ(-1, ubc_mismatch(self->mem, PG, 39, 0));
}

TEST_HARNESS_MAIN
