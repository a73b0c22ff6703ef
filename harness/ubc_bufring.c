// SPDX-License-Identifier: MIT
/*
 * Buffer rings registered by hand, and the probes of the buffer-ring features newer than
 * 5.19. A probe's "absent" is only the errno an older kernel gives for its well-formed call.
 */
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "ubc_bufring.h"

static int say(char *why, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return ret;
}

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

static int lo_up(void)
{
	struct ifreq ifr;
	int ret = 0, s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr)) {
		ret = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
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

/* ---- probes (one line each in ubc_features.h) ---- */

/* Register an 8-entry ring on bgid 1 with these reg fields; 0 or -errno. */
static int try_register(unsigned int flags, unsigned int min_left, char *why, size_t len, int *reg_ret)
{
	struct io_uring ring;
	struct ubc_br b;
	int ret = io_uring_queue_init(2, &ring, 0);

	if (ret)
		return say(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
	*reg_ret = ubc_br_setup(&ring, &b, 8, 1, flags, min_left);
	if (!*reg_ret)
		ubc_br_free(&ring, &b);
	io_uring_queue_exit(&ring);
	return 0;
}

int ubc_probe_pbuf_mmap(char *why, size_t len)
{
	int r, ret = 0;

	r = ubc_probe_buf_ring(why, len);
	if (r <= 0)
		return r;
	r = try_register(IOU_PBUF_RING_MMAP, 0, why, len, &ret);
	if (r)
		return r;
	if (!ret)
		return 1;
	/* Before 6.4 the flags field was "pad", and a non-zero pad is -EINVAL. */
	if (ret == -EINVAL)
		return say(why, len, 0, "IORING_REGISTER_PBUF_RING with flags IOU_PBUF_RING_MMAP and no address "
			   "returned EINVAL (the flags field was padding before 6.4)");
	return say(why, len, ret, "kernel-allocated buffer ring: register or mmap gave %s", strerror(-ret));
}

int ubc_probe_pbuf_inc(char *why, size_t len)
{
	int r, ret = 0;

	r = ubc_probe_buf_ring(why, len);
	if (r <= 0)
		return r;
	r = try_register(IOU_PBUF_RING_INC, 0, why, len, &ret);
	if (r)
		return r;
	if (!ret)
		return 1;
	/* 6.4..6.11 refuse flags other than IOU_PBUF_RING_MMAP, older ones any non-zero pad. */
	if (ret == -EINVAL)
		return say(why, len, 0, "IORING_REGISTER_PBUF_RING with flags IOU_PBUF_RING_INC returned EINVAL "
			   "(unknown flag before 6.12)");
	return say(why, len, ret, "incremental buffer ring register: %s", strerror(-ret));
}

int ubc_probe_min_left(char *why, size_t len)
{
	int r, ret = 0;

	r = ubc_probe_pbuf_inc(why, len);
	if (r <= 0)
		return r;
	r = try_register(IOU_PBUF_RING_INC, 16, why, len, &ret);
	if (r)
		return r;
	if (!ret)
		return 1;
	/* Without min_left, that field is resv[0] of the register struct and must be zero. */
	if (ret == -EINVAL)
		return say(why, len, 0, "an IOU_PBUF_RING_INC register with min_left 16 returned EINVAL "
			   "(the field is reserved where min_left is not known)");
	return say(why, len, ret, "incremental register with min_left 16: %s", strerror(-ret));
}

int ubc_probe_pbuf_status(char *why, size_t len)
{
	struct io_uring ring;
	struct ubc_br b;
	unsigned int head = 99;
	int ret = io_uring_queue_init(2, &ring, 0);

	if (ret)
		return say(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
	ret = ubc_br_setup(&ring, &b, 8, 1, 0, 0);
	if (ret) {
		io_uring_queue_exit(&ring);
		return say(why, len, ret, "buffer ring register: %s", strerror(-ret));
	}
	ret = ubc_br_head(&ring, 1, &head);
	ubc_br_free(&ring, &b);
	io_uring_queue_exit(&ring);
	if (!ret && head == 0)
		return 1;
	if (!ret)
		return say(why, len, -EPROTO, "IORING_REGISTER_PBUF_STATUS on a fresh ring said head %u", head);
	/* Before 6.8 register opcode 26 is unknown: -EINVAL. */
	if (ret == -EINVAL)
		return say(why, len, 0, "IORING_REGISTER_PBUF_STATUS (opcode %d) on a registered ring returned EINVAL "
			   "(opcode unknown before 6.8)", IORING_REGISTER_PBUF_STATUS);
	return say(why, len, ret, "IORING_REGISTER_PBUF_STATUS: %s", strerror(-ret));
}

int ubc_probe_no_mmap(char *why, size_t len)
{
	struct io_uring ring;
	size_t sz = 64 * 1024;
	void *mem = ubc_buf_alloc(sz);
	int ret;

	if (!mem)
		return say(why, len, -ENOMEM, "mmap: %s", strerror(errno));
	ret = io_uring_queue_init_mem(4, &ring, &(struct io_uring_params){ .flags = IORING_SETUP_NO_MMAP }, mem, sz);
	if (ret >= 0)
		io_uring_queue_exit(&ring);
	ubc_buf_free(mem, sz);
	if (ret >= 0)
		return 1;
	/* Before 6.5 io_uring_setup() rejects the unknown setup flag with -EINVAL. */
	if (ret == -EINVAL)
		return say(why, len, 0, "io_uring_setup with IORING_SETUP_NO_MMAP and app memory returned EINVAL "
			   "(unknown setup flag before 6.5)");
	return say(why, len, ret, "io_uring_queue_init_mem: %s", strerror(-ret));
}

int ubc_probe_read_mshot(char *why, size_t len)
{
	struct io_uring_probe *p = io_uring_get_probe();
	int ok;

	if (!p)
		return say(why, len, -ENOMEM, "io_uring_get_probe() failed");
	ok = io_uring_opcode_supported(p, IORING_OP_READ_MULTISHOT);
	io_uring_free_probe(p);
	return ok ? 1 : say(why, len, 0, "IORING_REGISTER_PROBE does not list IORING_OP_READ_MULTISHOT (opcode %d, 6.7)",
			    IORING_OP_READ_MULTISHOT);
}

/* 8 bytes waiting on a socket pair; one recv bundle from a 2-entry ring of 4-byte buffers. */
int ubc_probe_bundle(char *why, size_t len)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct ubc_br b;
	unsigned int flags;
	char data[8];
	int sv[2], res = 0, ret;

	ret = io_uring_queue_init(2, &ring, 0);
	if (ret)
		return say(why, len, ret, "io_uring_queue_init: %s", strerror(-ret));
	ret = ubc_br_setup(&ring, &b, 2, 1, 0, 0);
	if (ret) {
		io_uring_queue_exit(&ring);
		return say(why, len, ret, "buffer ring register: %s", strerror(-ret));
	}
	ret = ubc_socketpair_fill(sv, sizeof(data), 1);
	if (!ret) {
		ubc_br_fill(&b, data, 4, 2, 0);
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_recv(sqe, sv[0], NULL, 8, 0);
		sqe->ioprio |= IORING_RECVSEND_BUNDLE;
		ret = ubc_submit_select(&ring, sqe, 1, &res, &flags);
		close(sv[0]);
		close(sv[1]);
	}
	ubc_br_free(&ring, &b);
	io_uring_queue_exit(&ring);
	if (ret)
		return say(why, len, ret, "socketpair or submit: %s", strerror(-ret));
	/* Any data received proves the flag is known (how many buffers one bundle takes is what
	 * the bundle cases check: 6.16 takes one here). */
	if (res > 0 && res <= 8)
		return 1;
	/* Before 6.10 io_recvmsg_prep() refuses the unknown ioprio flag with -EINVAL. */
	if (res == -EINVAL)
		return say(why, len, 0, "a recv with IORING_RECVSEND_BUNDLE from a buffer ring returned EINVAL "
			   "(unknown recv flag before 6.10)");
	return say(why, len, res < 0 ? res : -EPROTO, "recv bundle of 8 bytes returned %d", res);
}
