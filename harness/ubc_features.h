/* SPDX-License-Identifier: MIT */
/*
 * The one table of the features a case may need: its id (UBC_F_<id>), the name a SKIP
 * reason prints ("<name> absent: <proof>"), the kernel release that added it, and its probe
 * (int probe(char *why, size_t len): 1 present, 0 absent with the proof, -errno broken).
 * The runner reads this file too (runner/features.py): a kernel at or above `since` whose
 * probe says "absent" is a regression. Add a feature by adding a line; never reorder.
 */
/*          id                  name                                        since   probe */
UBC_FEATURE(PROVIDE_BUFFERS,    "IORING_OP_PROVIDE_BUFFERS",                "5.7",  ubc_probe_provide)
UBC_FEATURE(BUF_RING,           "IORING_REGISTER_PBUF_RING",                "5.19", ubc_probe_buf_ring)
UBC_FEATURE(REGISTER_RING_FD,   "IORING_REGISTER_RING_FDS",                 "5.18", ubc_probe_ring_fd)
UBC_FEATURE(CLONE_BUFFERS,      "IORING_REGISTER_CLONE_BUFFERS",            "6.12", ubc_probe_clone)
UBC_FEATURE(CLONE_OFFSET,       "IORING_REGISTER_CLONE_BUFFERS offsets",    "6.13", ubc_probe_clone_offset)
UBC_FEATURE(SEND_BUFFER_SELECT, "IORING_OP_SEND with IOSQE_BUFFER_SELECT",  "6.10", ubc_probe_send_select)
UBC_FEATURE(NOP_FIXED_BUFFER,   "IORING_NOP_FIXED_BUFFER",                  "6.13", ubc_probe_nop_fixed_buffer)
UBC_FEATURE(RW_VEC_FIXED,       "IORING_OP_READV_FIXED/WRITEV_FIXED",       "6.15", ubc_probe_rw_vec_fixed)
UBC_FEATURE(PBUF_RING_MMAP,     "IOU_PBUF_RING_MMAP",                       "6.4",  ubc_probe_pbuf_mmap)
UBC_FEATURE(SETUP_NO_MMAP,      "IORING_SETUP_NO_MMAP",                     "6.5",  ubc_probe_no_mmap)
UBC_FEATURE(READ_MULTISHOT,     "IORING_OP_READ_MULTISHOT",                 "6.7",  ubc_probe_read_mshot)
UBC_FEATURE(PBUF_STATUS,        "IORING_REGISTER_PBUF_STATUS",              "6.8",  ubc_probe_pbuf_status)
UBC_FEATURE(RECV_BUNDLE,        "IORING_RECVSEND_BUNDLE",                   "6.10", ubc_probe_bundle)
UBC_FEATURE(PBUF_RING_INC,      "IOU_PBUF_RING_INC",                        "6.12", ubc_probe_pbuf_inc)
UBC_FEATURE(PBUF_MIN_LEFT,      "io_uring_buf_reg min_left",                "7.0",  ubc_probe_min_left)
UBC_FEATURE(SENDRECV_FIXED_BUF, "IORING_OP_SEND/RECV with IORING_RECVSEND_FIXED_BUF", "7.2", ubc_probe_sendrecv_fixed_buf)
UBC_FEATURE(THP,                "transparent huge pages",                   "2.6",  ubc_probe_thp)
