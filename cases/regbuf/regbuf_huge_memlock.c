// SPDX-License-Identifier: MIT
/*
 * What a registered buffer backed by transparent huge pages is charged (RLIMIT_MEMLOCK,
 * io_uring_register(2) BUFFERS: "charged against the user's RLIMIT_MEMLOCK"), seen as the
 * process's VmPin (mm->pinned_vm, which io_account_mem() raises with the user's locked_vm).
 * Only a ring made without CAP_IPC_LOCK is charged (7.3 charges nothing at all otherwise), so
 * each test runs in a child that drops to a uid of its own (its own user_struct, so no
 * other process's charges share its limit) with a chosen RLIMIT_MEMLOCK.
 * io_uring/rsrc.c: a huge page is charged whole, once per ring, the first time a buffer of
 * the ring pins any of it: 6.1 to 7.2 io_buffer_account_pin() (last_hpage,
 * headpage_already_acct()), 7.3 hpage_acct_ref() (a per-ring count per huge page); and
 * uncharged when the last buffer holding it goes (7.3 hpage_acct_unref(),
 * io_buffer_unaccount_pages(); before, imu->acct_pages). So 4 KiB at each end of one huge
 * page cost one huge page, and a 2 MiB buffer straddling two huge pages costs two. A
 * registration past the limit is -ENOMEM and leaves nothing charged or counted (7.3
 * io_buffer_unaccount_hpages()): each huge page alone, then both, are charged in full
 * after it. A clone (6.12) charges nothing more; the charge goes with the last ring
 * holding the buffer (7.3 io_buffer_acct_cloned_hpages()). Of two slots on one huge page,
 * emptying the first keeps the charge while the second holds it (7.3's count; older
 * kernels uncharge it with the first slot's imu->acct_pages: see expected/regbuf.toml).
 */
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>
#include "ubc_test.h"
#include "ubc_regbuf.h"

#define SEED 43
#define MAXV 16

/* What the unprivileged child saw, in order: v[i] is step i's value (a return or a VmPin). */
struct seen {
	int premise;		/* 1: ready (dropped, huge pages proven, rings made) */
	char why[256];
	int n;
	long v[MAXV];
};

struct child {
	struct ubc_thp t;
	struct io_uring src, dst;
	int fd;
};

static long pin(void)
{
	return ubc_vm_pin_kb();
}

static void record(struct seen *s, long v)
{
	if (s->n < MAXV)
		s->v[s->n] = v;
	s->n++;
}

static int reg(struct io_uring *ring, char *base, size_t len)
{
	struct iovec iov = { .iov_base = base, .iov_len = len };

	return io_uring_register_buffers(ring, &iov, 1);
}

/* Map 2 huge pages, drop to a uid of its own with RLIMIT_MEMLOCK soft/hard, make 2 rings. */
static int setup_child(struct child *c, struct seen *s, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct cap[2];
	uid_t uid = 0x55000000u + ((unsigned int)getpid() & 0xffffff);
	int r;

	/* Mapped as root: where THP is set to never, only root can switch it for the mapping. */
	r = ubc_thp_map(&c->t, 2, MADV_HUGEPAGE, s->why, sizeof(s->why));
	if (r != 1)
		return r ? r : -1;
	/* hard: 4 huge pages, within the kernel's default 8 MiB (no CAP_SYS_RESOURCE needed). */
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return snprintf(s->why, sizeof(s->why), "setrlimit(RLIMIT_MEMLOCK, %lu/%lu): %s",
				(unsigned long)soft, (unsigned long)hard, strerror(errno));
	if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
		return snprintf(s->why, sizeof(s->why), "setgid/setuid(%u): %s", uid, strerror(errno));
	if (syscall(SYS_capget, &hdr, cap) || (cap[0].effective & (1u << CAP_IPC_LOCK)))
		return snprintf(s->why, sizeof(s->why), "CAP_IPC_LOCK still effective after setuid");
	if (io_uring_queue_init(8, &c->src, 0) || io_uring_queue_init(8, &c->dst, 0))
		return snprintf(s->why, sizeof(s->why), "io_uring_queue_init failed");
	s->premise = 1;
	return 0;
}

/*
 * Run body in a child; the parent checks the premise and gets s->v. The file fd holds
 * ubc_stamp_file(2 huge pages, SEED).
 */
static struct seen *in_child(void (*body)(struct child *, struct seen *, size_t), rlim_t soft,
			     rlim_t hard, int fd)
{
	struct seen *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct child c = { .fd = fd };
	int status;
	pid_t pid;

	if (s == MAP_FAILED)
		return NULL;
	memset(s, 0, sizeof(*s));
	pid = fork();
	if (pid == 0) {
		if (!setup_child(&c, s, soft, hard))
			body(&c, s, c.t.hpage);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		snprintf(s->why, sizeof(s->why), "child failed or was killed"), s->premise = 0;
	return s;
}

FIXTURE(memlock) {
	size_t h;
	int fd;
};

FIXTURE_SETUP(memlock)
{
	self->fd = -1;
	UBC_REQUIRE(UBC_F_THP);
	/* Not a feature: a SKIP would prove nothing, so running as non-root is a FAIL. */
	ASSERT_EQ(0, geteuid()) TH_LOG("needs root to drop to a uid of its own with a chosen RLIMIT_MEMLOCK");
	self->h = ubc_thp_size();
	ASSERT_LT(0, (long)self->h);
	self->fd = ubc_stamp_file(2 * self->h, SEED);
	ASSERT_LE(0, self->fd) TH_LOG("stamp file: %s", strerror(-self->fd));
}

FIXTURE_TEARDOWN(memlock)
{
	if (self->fd >= 0)
		close(self->fd);
}

#define CHECK_PREMISE(s) do {								\
	ASSERT_NE(NULL, (s));								\
	ASSERT_EQ(1, (s)->premise) TH_LOG("premise: %s", (s)->why);			\
} while (0)

/* Each end of one huge page, then a buffer straddling two, registered and unregistered. */
static void charge_body(struct child *c, struct seen *s, size_t h)
{
	struct iovec ends[2] = {
		{ .iov_base = c->t.mem, .iov_len = 4096 },
		{ .iov_base = c->t.mem + h - 4096, .iov_len = 4096 },	/* the same huge page's end */
	};

	record(s, pin());						/* 0 */
	record(s, io_uring_register_buffers(&c->src, ends, 2));		/* 1 */
	record(s, pin());						/* 2 */
	record(s, io_uring_unregister_buffers(&c->src));		/* 3 */
	record(s, pin());						/* 4 */
	for (int i = 0; i < 2; i++) {
		record(s, reg(&c->src, c->t.mem + h / 2, h));		/* 5, 9 */
		record(s, pin());					/* 6, 10 */
		record(s, io_uring_unregister_buffers(&c->src));	/* 7, 11 */
		record(s, pin());					/* 8, 12 */
	}
}

TEST_F(memlock, huge_page_charged_whole_once)
{
	long hk = (long)(self->h / 1024);
	long want[] = { 0, 0, hk, 0, 0, 0, 2 * hk, 0, 0, 0, 2 * hk, 0, 0 };
	struct seen *s = in_child(charge_body, 4 * self->h, 4 * self->h, self->fd);

	CHECK_PREMISE(s);
	ASSERT_EQ(13, s->n);
	for (int i = 0; i < 13; i++) {
		long w = want[i], got = s->v[i];

		EXPECT_EQ(w, got) TH_LOG("step %d (see charge_body)", i);
	}
	munmap(s, sizeof(*s));
}

/* Past the limit: -ENOMEM, then each huge page alone and both are charged in full. */
static void limit_body(struct child *c, struct seen *s, size_t h)
{
	struct rlimit rl;

	record(s, reg(&c->src, c->t.mem, 2 * h));			/* 0 */
	record(s, pin());						/* 1 */
	record(s, io_uring_unregister_buffers(&c->src));		/* 2 */
	for (int i = 0; i < 2; i++) {
		record(s, reg(&c->src, c->t.mem + i * h, 4096));	/* 3, 6 */
		record(s, pin());					/* 4, 7 */
		record(s, io_uring_unregister_buffers(&c->src));	/* 5, 8 */
	}
	getrlimit(RLIMIT_MEMLOCK, &rl);
	rl.rlim_cur = rl.rlim_max;
	record(s, setrlimit(RLIMIT_MEMLOCK, &rl));			/* 9 */
	record(s, reg(&c->src, c->t.mem, 2 * h));			/* 10 */
	record(s, pin());						/* 11 */
	record(s, io_uring_unregister_buffers(&c->src));		/* 12 */
	record(s, pin());						/* 13 */
}

TEST_F(memlock, over_limit_leaves_nothing_counted)
{
	long hk = (long)(self->h / 1024);
	long want[] = { -ENOMEM, 0, -ENXIO, 0, hk, 0, 0, hk, 0, 0, 0, 2 * hk, 0, 0 };
	/* One huge page and 64 pages for the rings (7.3 charges them too): two do not fit. */
	struct seen *s = in_child(limit_body, self->h + 64 * 4096, 4 * self->h, self->fd);

	CHECK_PREMISE(s);
	ASSERT_EQ(14, s->n);
	for (int i = 0; i < 14; i++) {
		long w = want[i], got = s->v[i];

		EXPECT_EQ(w, got) TH_LOG("step %d (see limit_body)", i);
	}
	munmap(s, sizeof(*s));
}

/* src registers both huge pages, dst clones them; the charge goes with the last of the two. */
static void clone_body(struct child *c, struct seen *s, size_t h)
{
	size_t off = h - 3000;

	record(s, reg(&c->src, c->t.mem, 2 * h));			/* 0 */
	record(s, pin());						/* 1 */
	record(s, io_uring_clone_buffers(&c->dst, &c->src));		/* 2 */
	record(s, pin());						/* 3 */
	record(s, io_uring_unregister_buffers(&c->src));		/* 4 */
	record(s, pin());						/* 5 */
	/* dst still reads into the buffer, across the 2 MiB boundary. */
	memset(c->t.mem, 0xee, 2 * h);
	record(s, ubc_rw_fixed(&c->dst, 0, c->fd, c->t.mem + off, 6000, off, 0));	/* 6 */
	record(s, ubc_stamp_mismatch(c->t.mem + off, 6000, SEED, off));		/* 7 */
	record(s, io_uring_unregister_buffers(&c->dst));		/* 8 */
	record(s, pin());						/* 9 */
}

TEST_F(memlock, clone_charged_once_until_last)
{
	long hk = (long)(self->h / 1024);
	long want[] = { 0, 2 * hk, 0, 2 * hk, 0, 2 * hk, 6000, -1, 0, 0 };
	struct seen *s;

	UBC_REQUIRE(UBC_F_CLONE_BUFFERS);
	s = in_child(clone_body, 4 * self->h, 4 * self->h, self->fd);
	CHECK_PREMISE(s);
	ASSERT_EQ(10, s->n);
	for (int i = 0; i < 10; i++) {
		long w = want[i], got = s->v[i];

		EXPECT_EQ(w, got) TH_LOG("step %d (see clone_body)", i);
	}
	munmap(s, sizeof(*s));
}

/*
 * Two slots on one huge page, the first emptied by an update: the second still pins the
 * huge page, so it stays charged until that one goes too (7.3: hpage_acct_unref() counts
 * the slots). ubc_tag_barrier() waits until the emptied slot's node is really freed (6.1
 * frees it from delayed work).
 */
static void release_body(struct child *c, struct seen *s, size_t h)
{
	struct iovec ends[2] = {
		{ .iov_base = c->t.mem, .iov_len = 4096 },
		{ .iov_base = c->t.mem + h - 4096, .iov_len = 4096 },
	};
	struct ubc_cqe cqes[4];

	record(s, io_uring_register_buffers(&c->src, ends, 2));		/* 0 */
	record(s, pin());						/* 1 */
	for (int i = 0; i < 2; i++) {
		record(s, ubc_update_slot(&c->src, i, NULL, 0, 0));	/* 2, 5 */
		record(s, ubc_tag_barrier(&c->src, cqes, 4));		/* 3, 6 */
		record(s, pin());					/* 4, 7 */
	}
	record(s, io_uring_unregister_buffers(&c->src));		/* 8 */
	record(s, pin());						/* 9 */
}

TEST_F(memlock, release_one_of_two_keeps_charge)
{
	long hk = (long)(self->h / 1024);
	long want[] = { 0, hk, 1, 0, hk, 1, 0, 0, 0, 0 };
	struct seen *s = in_child(release_body, 4 * self->h, 4 * self->h, self->fd);

	CHECK_PREMISE(s);
	ASSERT_EQ(10, s->n);
	for (int i = 0; i < 10; i++) {
		long w = want[i], got = s->v[i];

		EXPECT_EQ(w, got) TH_LOG("step %d (see release_body)", i);
	}
	munmap(s, sizeof(*s));
}

TEST_HARNESS_MAIN
