// SPDX-License-Identifier: MIT
/*
 * The held-buffer cases' shared part: their fixture (ring, socket pair, a legacy and a
 * ring-buffer area), the group's one buffer, and the selecting recv that must wait, holding
 * or about to take a buffer, while the case changes the group under it.
 */
#include <sys/socket.h>
#include <unistd.h>
#include "ubc_bufring.h"

int ubc_held_setup(struct ubc_held *h, size_t len)
{
	int ret;

	memset(h, 0, sizeof(*h));
	h->len = len;
	h->sv[0] = h->sv[1] = -1;
	ret = io_uring_queue_init(8, &h->ring, 0);
	if (ret)
		return ret;
	h->legacy = ubc_buf_alloc(len);
	h->ringbuf = ubc_buf_alloc(len);
	if (!h->legacy || !h->ringbuf)
		ret = -ENOMEM;
	else if (socketpair(AF_UNIX, SOCK_STREAM, 0, h->sv))
		ret = -errno;
	if (ret) {
		ubc_held_free(h);
		return ret;
	}
	memset(h->legacy, 0, len);
	memset(h->ringbuf, 0, len);
	return 0;
}

void ubc_held_free(struct ubc_held *h)
{
	ubc_br_free(&h->ring, &h->b);
	if (h->sv[0] >= 0) {
		close(h->sv[0]);
		close(h->sv[1]);
	}
	io_uring_queue_exit(&h->ring);
	ubc_buf_free(h->legacy, h->len);
	ubc_buf_free(h->ringbuf, h->len);
	h->legacy = h->ringbuf = NULL;
	h->sv[0] = h->sv[1] = -1;
}

int ubc_held_give(struct ubc_held *h, int bgid, enum ubc_held_kind kind)
{
	int res, ret;

	if (kind == UBC_HELD_RING) {
		ret = ubc_br_setup(&h->ring, &h->b, 4, bgid, 0, 0);
		if (!ret)
			ubc_br_fill(&h->b, h->ringbuf, h->len, 1, UBC_HELD_RING_ID);
		return ret;
	}
	ret = ubc_provide(&h->ring, h->legacy, h->len, 1, bgid, UBC_HELD_LEGACY_ID, &res);
	return ret ? ret : res;
}

int ubc_held_recv(struct ubc_held *h, unsigned int len, int msg_flags, int bgid,
		  unsigned int sqe_flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&h->ring);
	unsigned long long ud;
	unsigned int flags;
	int res, ret;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_recv(sqe, h->sv[0], NULL, len, msg_flags);
	sqe->flags |= IOSQE_BUFFER_SELECT | sqe_flags;
	sqe->buf_group = bgid;
	sqe->user_data = UBC_HELD_UD;
	ret = io_uring_submit(&h->ring);
	if (ret != 1)
		return ret < 0 ? ret : -EAGAIN;
	/* A waiting recv posts nothing; a CQE means it did not wait (data was there, no buffer). */
	ret = ubc_wait_cqe_ms(&h->ring, UBC_HELD_WAIT_MS, &res, &flags, &ud);
	if (ret == -ETIME)
		return 0;
	return ret ? ret : -EALREADY;
}

int ubc_held_done(struct ubc_held *h, int *res, unsigned int *flags)
{
	unsigned long long ud;
	int ret = ubc_wait_cqe_ms(&h->ring, 5000, res, flags, &ud);

	return ret ? ret : (ud == UBC_HELD_UD ? 0 : -EPROTO);
}
