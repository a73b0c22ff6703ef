// SPDX-License-Identifier: MIT
/*
 * Registered-buffer helpers: CQEs waited for with a deadline, the tag barrier, one-slot
 * updates and a queued fixed read (the registered-buffer probes are in ubc_probe_regbuf.c).
 */
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "ubc.h"
#include "ubc_regbuf.h"

int ubc_next_cqe(struct io_uring *ring, unsigned int ms, struct ubc_cqe *out)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

	if (ret)
		return ret;
	out->user_data = cqe->user_data;
	out->res = cqe->res;
	out->flags = cqe->flags;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ubc_wait_cqes(struct io_uring *ring, int n, unsigned int ms, struct ubc_cqe *out, int max)
{
	long long end = now_ms() + ms;
	struct ubc_cqe c;
	int got = 0;

	while (got < n) {
		long long left = end - now_ms();

		if (ubc_next_cqe(ring, left > 0 ? (unsigned int)left : 0, &c))
			break;
		if (got < max)
			out[got] = c;
		got++;
	}
	return got;
}

/* A one-slot sparse file table on ring and an eventfd to put in it: 0 or -errno. */
static int sentinel_open(struct io_uring *ring, int *efd)
{
	int ret;

	*efd = eventfd(0, EFD_CLOEXEC);
	if (*efd < 0)
		return -errno;
	ret = io_uring_register_files_sparse(ring, 1);
	if (ret)
		close(*efd);
	return ret;
}

static void sentinel_close(struct io_uring *ring, int efd)
{
	io_uring_unregister_files(ring);
	close(efd);
}

/* Fill the slot with the eventfd tagged tag, then empty it: its node is dropped. */
static int sentinel_drop(struct io_uring *ring, int efd, __u64 tag)
{
	__u64 none = 0;
	int empty = -1, ret;

	ret = io_uring_register_files_update_tag(ring, 0, &efd, &tag, 1);
	if (ret == 1)
		ret = io_uring_register_files_update_tag(ring, 0, &empty, &none, 1);
	return ret == 1 ? 0 : (ret < 0 ? ret : -EPROTO);
}

/*
 * Consume CQEs until the one with user_data tag (not stored), within ms; the others go
 * to out[*n..max-1] and are counted in *n. 0 or -errno (-ETIME: it never came).
 */
static int sentinel_wait(struct io_uring *ring, __u64 tag, unsigned int ms,
			 struct ubc_cqe *out, int max, int *n)
{
	long long end = now_ms() + ms;
	struct ubc_cqe c;
	int ret;

	for (;;) {
		long long left = end - now_ms();

		ret = ubc_next_cqe(ring, left > 0 ? (unsigned int)left : 0, &c);
		if (ret)
			return ret;
		if (c.user_data == tag)
			return 0;
		if (*n < max)
			out[*n] = c;
		(*n)++;
	}
}

/*
 * Why the sentinel proves anything, per kernel (io_uring/rsrc.c):
 * - 6.13 on: every slot is an io_rsrc_node; the put that drops its last reference calls
 *   io_free_rsrc_node(), which posts the tag CQE right there (io_post_aux_cqe()). A tag
 *   released by an earlier register call is in the CQ ring before that call returns, so
 *   before the sentinel's.
 * - 6.4 to 6.12: one node list per ring for files and buffers (ctx->rsrc_ref_list); a
 *   node is put when its slot is replaced and io_rsrc_node_ref_zero() posts the tags of
 *   the nodes at the head of the list in order, under the uring_lock, synchronously.
 * - 6.1 (5.13 to 6.3): the same per-ring ordered list (percpu refs, "recycle ref nodes in
 *   order"), but a released node goes onto an llist and the tags are posted by
 *   ctx->rsrc_put_work, a delayed work item (HZ), which takes the llist whole
 *   (llist_del_all()) and walks it newest first. So a node released just before the
 *   sentinel's can be posted just AFTER the sentinel, by the same run of the work. The
 *   second sentinel is dropped only once the first has been seen, so it joins a later
 *   llist and a later run of the work item, which runs after the first run has finished
 *   (a work item does not run concurrently with itself): when it comes, every node
 *   released before the first sentinel has been posted.
 * A request in flight holding a node holds back every later node on 6.1 and 6.12, the
 * sentinel's too: a case with one in flight orders its CQEs otherwise. From 6.13 nothing
 * holds the sentinel back, so a node a request still holds is not "released before" it,
 * and a request is not over when its CQE is seen: one completed by io-wq (a read of a file
 * without FMODE_NOWAIT, such as tmpfs) posts its CQE from the worker, which drops the
 * request later, through the submitter's task work (io_req_complete_post(),
 * io_wq_put_work(), io_free_req()); a slot it read through and that is replaced meanwhile
 * posts its tag then, possibly after the sentinel. A case that replaces a slot it has just
 * used must use it inline (a socket or pipe with the data there: the CQE is posted and the
 * request freed within the same io_uring_enter()).
 */
int ubc_tag_barrier(struct io_uring *ring, struct ubc_cqe *out, int max)
{
	int efd, ret = 0, n = 0;

	for (int round = 0; round < 2 && !ret; round++) {
		ret = sentinel_open(ring, &efd);
		if (ret)
			break;
		ret = sentinel_drop(ring, efd, UBC_SENTINEL_TAG + round);
		/*
		 * Unregistering the table before the wait changes no order: on 6.1 it quiesces
		 * the file table (io_rsrc_ref_quiesce(): the node put with no delay, then
		 * flush_delayed_work(&ctx->rsrc_put_work)), so the work that posts the tags runs
		 * now instead of a second (HZ) later; on later kernels the tags are posted already.
		 */
		sentinel_close(ring, efd);
		if (!ret)
			ret = sentinel_wait(ring, UBC_SENTINEL_TAG + round, UBC_CQE_WAIT_MS, out, max, &n);
	}
	return ret ? ret : n;
}

int ubc_tags_posted_at_once(struct io_uring *ring)
{
	struct ubc_cqe c[1];
	int efd, ret, n = 0, at_once = 0;

	ret = sentinel_open(ring, &efd);
	if (ret)
		return ret;
	ret = sentinel_drop(ring, efd, UBC_SENTINEL_TAG);
	if (!ret)
		at_once = sentinel_wait(ring, UBC_SENTINEL_TAG, 0, c, 1, &n) == 0;
	sentinel_close(ring, efd);  /* 6.1: runs the delayed work now (see ubc_tag_barrier()) */
	if (!ret && !at_once)
		ret = sentinel_wait(ring, UBC_SENTINEL_TAG, UBC_CQE_WAIT_MS, c, 1, &n);
	if (!ret && n)
		ret = -EPROTO;
	return ret ? ret : at_once;
}

int ubc_update_slot(struct io_uring *ring, unsigned int slot, void *base, size_t len,
		    unsigned long long tag)
{
	struct iovec iov = { .iov_base = base, .iov_len = len };
	__u64 t = tag;

	return io_uring_register_buffers_update_tag(ring, slot, &iov, &t, 1);
}

int ubc_queue_read_fixed(struct io_uring *ring, int fd, void *buf, unsigned int len,
			 int idx, unsigned long long user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	int ret;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read_fixed(sqe, fd, buf, len, 0, idx);
	sqe->user_data = user_data;
	ret = io_uring_submit(ring);
	return ret == 1 ? 0 : (ret < 0 ? ret : -EAGAIN);
}
