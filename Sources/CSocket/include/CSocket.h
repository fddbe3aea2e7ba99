#ifndef CSOCKET_H
#define CSOCKET_H

#include <stddef.h>
#include <stdint.h>

/// A receive vector for recvmmsg(2): `count` slots of `slot_size` bytes, each with room for the sender's address
/// and the SO_RXQ_OVFL control message. Swift's Glibc module exposes neither `struct mmsghdr` nor the CMSG_*
/// macros, so this small C part owns them. Not thread-safe: one per receiving thread.
typedef struct csocket_rx csocket_rx;

/// NULL when out of memory.
csocket_rx *csocket_rx_create(unsigned count, size_t slot_size);
void csocket_rx_destroy(csocket_rx *rx);

/// Receives up to `count` datagrams without blocking (MSG_DONTWAIT). Returns how many arrived, 0 when none is
/// waiting, -1 on any other error (errno set).
int csocket_rx_receive(csocket_rx *rx, int fd);

/// Datagram `i` of the last receive: its bytes and length; `*cut` is set when it was larger than a slot.
const uint8_t *csocket_rx_datagram(const csocket_rx *rx, unsigned i, size_t *length, int *cut);

/// The sender of datagram `i`: a `struct sockaddr_in` or `sockaddr_in6`, and its length.
const void *csocket_rx_peer(const csocket_rx *rx, unsigned i, unsigned *length);

/// The socket's drop counter carried by datagram `i` (SO_RXQ_OVFL), or -1 when the datagram carried none.
int64_t csocket_rx_drops(const csocket_rx *rx, unsigned i);

/// Sets the calling thread's nice value (Linux schedules threads one by one). 0 on success, -1 with errno
/// (EACCES/EPERM without CAP_SYS_NICE or a high enough RLIMIT_NICE).
int csocket_set_thread_nice(int nice);

/// The calling thread's nice value.
int csocket_thread_nice(void);

#endif
