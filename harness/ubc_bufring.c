// SPDX-License-Identifier: MIT
/*
 * Buffer rings registered by hand, filling them, their head, CQEs reaped in bulk or with a
 * deadline, and TCP pairs (the buffer-ring probes are in ubc_probe_bufring.c).
 */
#include <stdint.h>
#include <sys/mman.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "ubc_bufring.h"

int ubc_br_register_raw(struct io_uring *ring, unsigned long long addr, unsigned int entries,
			unsigned int bgid, unsigned int flags, unsigned int min_left)
{
	struct io_uring_buf_reg reg;

	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = addr;
	reg.ring_entries = entries;
	reg.bgid = bgid;
	reg.flags = flags;
	reg.min_left = min_left;
	return io_uring_register(ring->ring_fd, IORING_REGISTER_PBUF_RING, &reg, 1);
}

int ubc_br_unregister_raw(struct io_uring *ring, unsigned int bgid)
{
	struct io_uring_buf_reg reg;

	memset(&reg, 0, sizeof(reg));
	reg.bgid = bgid;
	return io_uring_register(ring->ring_fd, IORING_UNREGISTER_PBUF_RING, &reg, 1);
}

static size_t ring_bytes(unsigned int entries)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = (size_t)entries * sizeof(struct io_uring_buf);

	return n < pg ? pg : (n + pg - 1) / pg * pg;
}

int ubc_br_setup(struct io_uring *ring, struct ubc_br *b, unsigned int entries, int bgid,
		 unsigned int flags, unsigned int min_left)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->entries = entries;
	b->bgid = bgid;
	b->map_len = ring_bytes(entries);
	if (flags & IOU_PBUF_RING_MMAP) {
		void *p;

		ret = ubc_br_register_raw(ring, 0, entries, bgid, flags, min_left);
		if (ret)
			return ret;
		p = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 ring->ring_fd, IORING_OFF_PBUF_RING | ((unsigned long long)bgid << IORING_OFF_PBUF_SHIFT));
		if (p == MAP_FAILED) {
			ret = -errno;
			ubc_br_unregister_raw(ring, bgid);
			return ret;
		}
		b->br = p;
		b->kernel_mem = 1;
	} else {
		b->br = ubc_buf_alloc(b->map_len);
		if (!b->br)
			return -ENOMEM;
		ret = ubc_br_register_raw(ring, (unsigned long long)(uintptr_t)b->br, entries, bgid, flags, min_left);
		if (ret) {
			ubc_buf_free(b->br, b->map_len);
			b->br = NULL;
			return ret;
		}
	}
	b->registered = 1;
	io_uring_buf_ring_init(b->br);
	return 0;
}

int ubc_br_unregister(struct io_uring *ring, struct ubc_br *b)
{
	int ret = 0;

	if (b->registered) {
		ret = ubc_br_unregister_raw(ring, b->bgid);
		if (!ret)
			b->registered = 0;
	}
	return ret;
}

int ubc_br_free(struct io_uring *ring, struct ubc_br *b)
{
	int ret = ubc_br_unregister(ring, b);

	if (b->br) {
		if (b->kernel_mem)
			munmap(b->br, b->map_len);
		else
			ubc_buf_free(b->br, b->map_len);
	}
	b->br = NULL;
	return ret;
}

void ubc_br_fill(struct ubc_br *b, void *base, unsigned int len, int nr, unsigned int bid0)
{
	int mask = io_uring_buf_ring_mask(b->entries);

	for (int i = 0; i < nr; i++)
		io_uring_buf_ring_add(b->br, (char *)base + (size_t)i * len, len,
				      (unsigned short)(bid0 + i), mask, i);
	io_uring_buf_ring_advance(b->br, nr);
}

struct io_uring_buf *ubc_br_entry(struct ubc_br *b, unsigned int pos)
{
	return &b->br->bufs[pos & (b->entries - 1)];
}

int ubc_br_head(struct io_uring *ring, int bgid, unsigned int *head)
{
	struct io_uring_buf_status st;
	int ret;

	memset(&st, 0, sizeof(st));
	st.buf_group = bgid;
	ret = io_uring_register(ring->ring_fd, IORING_REGISTER_PBUF_STATUS, &st, 1);
	if (!ret)
		*head = st.head;
	return ret;
}

int ubc_submit_reap(struct io_uring *ring, int nr, int *res, unsigned int *flags,
		    unsigned long long *udata)
{
	int ret = io_uring_submit(ring);

	if (ret != nr)
		return ret < 0 ? ret : -EAGAIN;
	for (int i = 0; i < nr; i++) {
		struct io_uring_cqe *cqe;

		ret = io_uring_wait_cqe(ring, &cqe);
		if (ret)
			return ret;
		if (res)
			res[i] = cqe->res;
		if (flags)
			flags[i] = cqe->flags;
		if (udata)
			udata[i] = cqe->user_data;
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

int ubc_wait_cqe_ms(struct io_uring *ring, int ms, int *res, unsigned int *flags,
		    unsigned long long *udata)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000LL };
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

	if (ret)
		return ret;
	if (res)
		*res = cqe->res;
	if (flags)
		*flags = cqe->flags;
	if (udata)
		*udata = cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

int ubc_take(struct io_uring *ring, int fd, int sock, unsigned int len, int bgid,
	     int *res, unsigned int *flags)
{
	if (sock)
		return ubc_recv_select(ring, fd, len, bgid, res, flags);
	return ubc_read_select(ring, fd, len, 0, bgid, res, flags);
}

/*
 * Bring lo up (a fresh guest has it down). Also when it already says up: another case may
 * be bringing it up this moment, and SIOCGIFFLAGS (no lock) shows IFF_UP before the
 * NETDEV_UP notifiers have added 127.0.0.1's routes, so a connect() then fails with
 * ENETUNREACH (seen with cases at once). SIOCSIFFLAGS takes the RTNL lock that bring-up
 * holds, so it returns only once lo is wholly up; without CAP_NET_ADMIN (the host, not
 * root) it says EPERM, and an lo that was up before is up.
 */
static int lo_up(void)
{
	struct ifreq ifr;
	int ret = 0, s = socket(AF_INET, SOCK_DGRAM, 0), was_up;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr)) {
		ret = -errno;
	} else {
		was_up = !!(ifr.ifr_flags & IFF_UP);
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) && !(was_up && errno == EPERM))
			ret = -errno;
	}
	close(s);
	return ret;
}

int ubc_tcp_pair(int sv[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int one = 1, l, c = -1, r = -1, ret = lo_up();

	if (ret)
		return ret;
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		return -errno;
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen))
		goto fail;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
		goto fail;
	r = accept(l, NULL, NULL);
	if (r < 0 || setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		goto fail;
	close(l);
	sv[0] = r;
	sv[1] = c;
	return 0;
fail:
	ret = errno ? -errno : -EIO;
	close(l);
	if (c >= 0)
		close(c);
	if (r >= 0)
		close(r);
	return ret;
}

int ubc_wait_readable(int fd, int want)
{
	struct timespec ts = { 0, 1000000 };

	for (int i = 0; i < 2000; i++) {
		int n = 0;

		if (ioctl(fd, FIONREAD, &n))
			return -errno;
		if (n >= want)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

int ubc_tcp_send(int sv[2], size_t n, unsigned int seed, size_t pos)
{
	unsigned char chunk[4096];
	int before = 0;

	if (ioctl(sv[0], FIONREAD, &before))
		return -errno;
	for (size_t off = 0; off < n; off += sizeof(chunk)) {
		size_t k = n - off < sizeof(chunk) ? n - off : sizeof(chunk);

		ubc_fill(chunk, k, seed, pos + off);
		if (write(sv[1], chunk, k) != (ssize_t)k)
			return errno ? -errno : -EIO;
	}
	return ubc_wait_readable(sv[0], before + (int)n);
}

int ubc_tcp_pair_fill(int sv[2], size_t len, unsigned int seed)
{
	int ret = ubc_tcp_pair(sv);

	if (!ret)
		ret = ubc_tcp_send(sv, len, seed, 0);
	if (ret && sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	return ret;
}
