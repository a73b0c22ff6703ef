// SPDX-License-Identifier: GPL-2.0
/* A fake io_uring/kbuf.c: what runner/kmutate's operators find in the real one. */
#include <linux/kernel.h>

#define MAX_BIDS_PER_BGID (1 << 16)

static int io_provide_buffers_prep(struct io_provide_buf *p, u64 tmp)
{
	if (!tmp || tmp > MAX_BIDS_PER_BGID)
		return -E2BIG;
	p->nbufs = tmp;
	if (p->len == 0)
		return -EINVAL;
	return 0;
}

static int io_add_buffers(struct io_provide_buf *pbuf, struct io_buffer_list *bl)
{
	int i;

	for (i = 0; i < pbuf->nbufs; i++)
		bl->nbufs++;
	bl->flags |= IOBL_LEGACY;
	return 0;
}
