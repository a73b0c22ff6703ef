// SPDX-License-Identifier: MIT
/*
 * Probe of transparent huge pages (CONFIG_TRANSPARENT_HUGEPAGE, a build option, and its
 * run-time switch), beside its decision (see ubc_probe.c for the rules every probe follows).
 * The kernel has THP when /sys/kernel/mm/transparent_hugepage/enabled exists
 * (mm/huge_memory.c hugepage_init_sysfs()). "never" there is a setting, not the kernel's
 * lack: hugepage_init() itself sets it on a machine with less than 512 MiB of RAM ("The
 * admin can still enable it through /sys"), as the suite's 512 MiB guests have. Root can
 * switch it (ubc_thp_map() does, for the moment of its mapping); anyone else cannot, and
 * then no case can have its premise.
 */
#include <fcntl.h>
#include <unistd.h>
#include "ubc.h"
#include "ubc_probe.h"

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

int ubc_probe_thp(char *why, size_t len)
{
	char text[128];
	int fd, got;
	ssize_t n;

	/* No /sys/kernel/mm at all says sysfs is missing, not that THP is. */
	if (access("/sys/kernel/mm", F_OK))
		return ubc_why(why, len, -errno, "/sys/kernel/mm: %s (is sysfs mounted?)", strerror(errno));
	fd = open(THP_ENABLED, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ubc_decide_thp(-errno, why, len);
	n = read(fd, text, sizeof(text) - 1);
	got = n < 0 ? -errno : 0;
	close(fd);
	if (got)
		return ubc_why(why, len, got, "read %s: %s", THP_ENABLED, strerror(-got));
	text[n] = '\0';
	if (strstr(text, "[never]"))
		got = geteuid() == 0 ? UBC_THP_NEVER_ROOT : UBC_THP_NEVER;
	else if (strstr(text, "[madvise]"))
		got = UBC_THP_MADVISE;
	else if (strstr(text, "[always]"))
		got = UBC_THP_ALWAYS;
	else
		return ubc_why(why, len, -EPROTO, "%s says \"%s\": no mode selected", THP_ENABLED, text);
	return ubc_decide_thp(got, why, len);
}

/* got: UBC_THP_* (the mode selected in enabled), or the -errno of opening enabled. */
int ubc_decide_thp(int got, char *why, size_t len)
{
	if (got == UBC_THP_MADVISE || got == UBC_THP_ALWAYS || got == UBC_THP_NEVER_ROOT)
		return 1;
	/* hugepage_init_sysfs() is only built with CONFIG_TRANSPARENT_HUGEPAGE. */
	if (got == -ENOENT)
		return ubc_why(why, len, 0, "errno ENOENT: %s does not exist (kernel built without "
			       "CONFIG_TRANSPARENT_HUGEPAGE)", THP_ENABLED);
	if (got == UBC_THP_NEVER)
		return ubc_why(why, len, 0, "no errno (enabled=never, not root): %s is [never], "
			       "so no anonymous huge page is made, and only root may switch it", THP_ENABLED);
	return ubc_why(why, len, got < 0 ? got : -EPROTO, "%s: %d (%s)", THP_ENABLED, got,
		       got < 0 ? strerror(-got) : "unknown mode");
}
