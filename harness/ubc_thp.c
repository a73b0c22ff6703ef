// SPDX-License-Identifier: MIT
/*
 * Memory backed by transparent huge pages, with the premise proven, and what the kernel
 * says of a mapping: its AnonHugePages (/proc/self/smaps) and the process's VmPin
 * (/proc/self/status, mm->pinned_vm, where io_uring charges a registered buffer's pages).
 * The region is hpage-aligned, between two PROT_NONE guards so that its VMA is exactly
 * the region (no neighbour can merge into it and blur AnonHugePages).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include "ubc.h"

/* why = the message; returns ret. */
static int say(char *why, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return ret;
}

#define THP_DIR "/sys/kernel/mm/transparent_hugepage/"

/*
 * If THP_DIR<name> says [never], set it to madvise and keep the old word in old (else old
 * is ""); 0 or -errno.
 */
static int switch_on(const char *name, char *old, size_t len)
{
	char path[128], text[128];
	ssize_t n;
	int fd, ret = 0;

	old[0] = '\0';
	snprintf(path, sizeof(path), THP_DIR "%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? 0 : -errno;
	n = read(fd, text, sizeof(text) - 1);
	if (n > 0) {
		text[n] = '\0';
		if (strstr(text, "[never]")) {
			snprintf(old, len, "never");
			if (pwrite(fd, "madvise", 7, 0) != 7)
				ret = -errno;
		}
	}
	close(fd);
	return ret;
}

static void switch_back(const char *name, const char *old)
{
	char path[128];
	int fd;

	if (!old[0])
		return;
	snprintf(path, sizeof(path), THP_DIR "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		/* A failure here leaves THP on; the mapping is made either way. */
		ssize_t n = write(fd, old, strlen(old));

		(void)n;
		close(fd);
	}
}

size_t ubc_thp_size(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "re");
	unsigned long sz = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%lu", &sz) != 1)
		sz = 0;
	fclose(f);
	return sz;
}

long ubc_thp_backed_kb(const void *mem, size_t len)
{
	unsigned long want_start = (unsigned long)mem, want_end = want_start + len;
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	int in = 0;
	long kb = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		long v;

		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = start == want_start && end == want_end;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &v) == 1) {
			kb = v;
			break;
		}
	}
	fclose(f);
	return kb;
}

long ubc_vm_pin_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kb = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int ubc_thp_map(struct ubc_thp *t, int nr, int advice, char *why, size_t wlen)
{
	size_t hp = ubc_thp_size(), pg = (size_t)sysconf(_SC_PAGESIZE);
	char old_en[16], old_df[16];
	unsigned long start;
	long kb;
	int err;

	memset(t, 0, sizeof(*t));
	if (!hp)
		return say(why, wlen, -ENOENT, "no hpage_pmd_size in /sys/kernel/mm/transparent_hugepage");
	t->hpage = hp;
	t->len = (size_t)nr * hp;
	/* One huge page of slack to align in, and at least a page of guard on each side. */
	t->map_len = t->len + 2 * hp;
	t->map = mmap(NULL, t->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t->map == MAP_FAILED) {
		t->map = NULL;
		return say(why, wlen, -errno, "mmap of %zu bytes: %s", t->map_len, strerror(errno));
	}
	start = ((unsigned long)t->map + pg + hp - 1) & ~(hp - 1);
	t->mem = (char *)start;
	if (mprotect(t->mem, t->len, PROT_READ | PROT_WRITE) ||
	    (advice >= 0 && madvise(t->mem, t->len, advice))) {
		int err = errno;

		ubc_thp_unmap(t);
		return say(why, wlen, -err, "mprotect/madvise(%d): %s", advice, strerror(err));
	}
	/* The first write fault of each aligned huge page allocates it whole. */
	err = switch_on("enabled", old_en, sizeof(old_en));
	if (!err)
		err = switch_on("defrag", old_df, sizeof(old_df));
	if (err) {
		switch_back("enabled", old_en);
		ubc_thp_unmap(t);
		return say(why, wlen, err, "switching THP from never to madvise: %s", strerror(-err));
	}
	memset(t->mem, 0x5a, t->len);
	switch_back("defrag", old_df);
	switch_back("enabled", old_en);
	kb = ubc_thp_backed_kb(t->mem, t->len);
	if (kb < 0) {
		ubc_thp_unmap(t);
		return say(why, wlen, (int)kb, "no smaps entry for %p-%p: %s", (void *)t->mem,
			   (void *)(t->mem + t->len), strerror((int)-kb));
	}
	if ((size_t)kb * 1024 != t->len)
		return say(why, wlen, 0, "AnonHugePages %ld kB of the %zu kB mapped: the kernel "
			   "gave %s huge page for it", kb, t->len / 1024, kb ? "not every" : "no");
	return 1;
}

void ubc_thp_unmap(struct ubc_thp *t)
{
	if (t->map)
		munmap(t->map, t->map_len);
	t->map = NULL;
	t->mem = NULL;
}

int ubc_thp_register_two(struct io_uring *ring, const struct ubc_thp *t)
{
	size_t h = t->hpage;
	struct iovec iov[2] = {
		{ .iov_base = t->mem, .iov_len = 2 * h },
		{ .iov_base = t->mem + h / 2 + 100, .iov_len = h + 200 },
	};

	return io_uring_register_buffers(ring, iov, 2);
}
