// SPDX-License-Identifier: MIT
/*
 * A memory cgroup (cgroup v2) to make the kernel's accounted allocations fail on purpose:
 * the process that enters it with memory.max 0 gets -ENOMEM from every allocation charged
 * to it (GFP_KERNEL_ACCOUNT, SLAB_ACCOUNT caches), once the cgroup's OOM killer has found
 * nothing to kill (the process itself is exempt, oom_score_adj -1000): try_charge_memcg()
 * -> mem_cgroup_oom() returns false -> -ENOMEM (mm/memcontrol.c, 6.1 to 7.3). The process
 * must not fault a page in meanwhile (a failed charge in a page fault is retried forever),
 * so entering prefaults the stack and locks every mapping first.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ubc.h"

static int write_str(int fd, const char *s)
{
	ssize_t n = write(fd, s, strlen(s));

	return n == (ssize_t)strlen(s) ? 0 : (n < 0 ? -errno : -EIO);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = write_str(fd, s);
	close(fd);
	return ret;
}

/* Does the space-separated list in file path name word? 1, 0, or -errno; text: the list. */
static int file_has_word(const char *path, const char *word, char *text, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t wl = strlen(word);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, text, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	text[n] = 0;
	if (n && text[n - 1] == '\n')
		text[n - 1] = 0;
	for (const char *p = text; (p = strstr(p, word)); p += wl) {
		if ((p == text || p[-1] == ' ') && (p[wl] == ' ' || p[wl] == 0))
			return 1;
	}
	return 0;
}

/* Errors that say this environment will not let us, as opposed to a broken call. */
static int unusable(int err)
{
	return err == -EPERM || err == -EACCES || err == -EBUSY || err == -EROFS ||
	       err == -EOPNOTSUPP;
}

static void unmount_root(struct ubc_memcg *m)
{
	umount2(m->root, MNT_DETACH);
	rmdir(m->root);
}

int ubc_memcg_open(struct ubc_memcg *m, char *why, size_t len)
{
	char path[sizeof(m->dir) + 32], text[256];
	int ret;

	memset(m, 0, sizeof(*m));
	m->procs_fd = m->max_fd = m->root_procs_fd = -1;
	if (geteuid() != 0)
		return -EPERM;
	/* A private mount namespace: the cgroup2 mount is seen by this process only. */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	snprintf(m->root, sizeof(m->root), "/tmp/ubc-cg-XXXXXX");
	if (!mkdtemp(m->root))
		return -errno;
	if (mount("cgroup2", m->root, "cgroup2", 0, NULL)) {
		ret = -errno;
		rmdir(m->root);
		if (ret == -ENODEV) {
			snprintf(why, len, "this kernel has no cgroup2 file system (mount: ENODEV)");
			return 0;
		}
		if (unusable(ret)) {
			snprintf(why, len, "cgroup2 cannot be mounted here (mount: %s)", strerror(-ret));
			return 0;
		}
		return ret;
	}
	snprintf(path, sizeof(path), "%s/cgroup.controllers", m->root);
	ret = file_has_word(path, "memory", text, sizeof(text));
	if (ret <= 0) {
		unmount_root(m);
		if (ret == 0)
			snprintf(why, len, "the cgroup2 hierarchy has no memory controller (its "
				 "cgroup.controllers: '%s'): it is bound to a cgroup v1 hierarchy",
				 text);
		return ret;
	}
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", m->root);
	ret = write_file(path, "+memory");
	if (!ret) {
		snprintf(m->dir, sizeof(m->dir), "%s/ubc-%d", m->root, (int)getpid());
		if (mkdir(m->dir, 0755))
			ret = -errno;
	}
	if (ret) {
		unmount_root(m);
		if (unusable(ret)) {
			/* e.g. a container's cgroup namespace root that holds processes: EBUSY */
			snprintf(why, len, "no memory cgroup can be made below this cgroup2 root "
				 "(+memory in cgroup.subtree_control, then mkdir: %s)", strerror(-ret));
			return 0;
		}
		return ret;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", m->dir);
	m->procs_fd = open(path, O_WRONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/memory.max", m->dir);
	m->max_fd = open(path, O_WRONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "%s/cgroup.procs", m->root);
	m->root_procs_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (m->procs_fd < 0 || m->max_fd < 0 || m->root_procs_fd < 0) {
		ret = -errno;
		ubc_memcg_close(m);
		return ret;
	}
	return 1;
}

static void __attribute__((noinline)) touch_stack(void)
{
	volatile char pad[256 * 1024];

	for (size_t i = 0; i < sizeof(pad); i += 1024)
		pad[i] = 0;
}

int ubc_memcg_enter(struct ubc_memcg *m)
{
	int ret = write_file("/proc/self/oom_score_adj", "-1000");

	if (ret)
		return ret;
	touch_stack();
	if (mlockall(MCL_CURRENT))
		return -errno;
	return write_str(m->procs_fd, "0");
}

int ubc_memcg_limit(struct ubc_memcg *m, const char *max)
{
	return write_str(m->max_fd, max);
}

int ubc_memcg_leave(struct ubc_memcg *m)
{
	int ret = write_str(m->max_fd, "max");

	if (!ret)
		ret = write_str(m->root_procs_fd, "0");
	munlockall();
	return ret;
}

void ubc_memcg_close(struct ubc_memcg *m)
{
	if (m->procs_fd >= 0)
		close(m->procs_fd);
	if (m->max_fd >= 0)
		close(m->max_fd);
	if (m->root_procs_fd >= 0)
		close(m->root_procs_fd);
	m->procs_fd = m->max_fd = m->root_procs_fd = -1;
	if (m->dir[0])
		rmdir(m->dir);
	if (m->root[0])
		unmount_root(m);
	m->dir[0] = m->root[0] = 0;
}

int ubc_memcg_prove(struct ubc_memcg *m, const char *limit, char *why, size_t len)
{
	struct io_uring r;
	int ret, ring = 1, lifted;

	ret = ubc_memcg_enter(m);
	if (!ret)
		ret = ubc_memcg_limit(m, limit);
	if (!ret)
		ring = io_uring_queue_init(8, &r, 0);
	lifted = ubc_memcg_leave(m);
	if (!ring)
		io_uring_queue_exit(&r);
	if (ret || lifted) {
		snprintf(why, len, "entering, limiting to %s or leaving the cgroup failed", limit);
		return ret ? ret : lifted;
	}
	if (ring != -ENOMEM) {
		snprintf(why, len, "with memory.max %s a new ring was %s, not refused with ENOMEM",
			 limit, ring ? strerror(-ring) : "made");
		return -EPROTO;
	}
	return 0;
}

int ubc_memcg_ready(struct ubc_memcg *m, char *why, size_t len)
{
	int ret = ubc_memcg_open(m, why, len);

	if (ret != 1)
		return ret;
	ret = ubc_memcg_prove(m, "0", why, len);
	if (ret) {
		ubc_memcg_close(m);
		return ret;
	}
	return 1;
}
