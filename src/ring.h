/* lathe — a lock-free single-producer single-consumer ring of bytes, for
 * messages between the audio thread and the main loop.
 *
 * One thread writes, one thread reads; each side does one atomic (acquire)
 * load of the other side's position, its copy, and one atomic (release)
 * store of its own. Messages are written whole or not at all, so a reader
 * never sees half a message.
 *
 * Threads. lathe_ring_new/free: non-RT, when no one else uses the ring.
 * Write functions: the producer thread only. Read functions: the consumer
 * thread only. Both sides are real-time safe: no allocation, locks or
 * syscalls, and they never wait for each other.
 */
#ifndef LATHE_RING_H
#define LATHE_RING_H

#include <stdbool.h>
#include <stddef.h>

typedef struct LatheRing LatheRing;

/* Non-RT. A ring holding at least capacity bytes: capacity rounded up to
 * a power of two, all of it usable. NULL when out of memory, or when
 * capacity is above SIZE_MAX / 2 + 1 (no power of two to round up to). */
LatheRing *lathe_ring_new(size_t capacity);
/* Non-RT. NULL-safe. */
void lathe_ring_free(LatheRing *ring);

/* Producer. Bytes that can be written now; the consumer may free more at
 * any moment, never less. */
size_t lathe_ring_write_space(const LatheRing *ring);
/* Producer. Write all n bytes, or nothing and false when there is no room.
 * Never waits: a full ring is the caller's to handle (count, drop, retry
 * next cycle). n == 0 succeeds and data may then be NULL. */
bool lathe_ring_write(LatheRing *ring, const void *data, size_t n);

/* Consumer. Bytes that can be read now; the producer may add more at any
 * moment, never take any away. */
size_t lathe_ring_read_space(const LatheRing *ring);
/* Consumer. Copy n bytes without consuming them; false if fewer are there. */
bool lathe_ring_peek(const LatheRing *ring, void *data, size_t n);
/* Consumer. Read n bytes, or nothing and false if fewer are there. */
bool lathe_ring_read(LatheRing *ring, void *data, size_t n);
/* Consumer. Drop n bytes (false, and nothing dropped, if fewer are there). */
bool lathe_ring_skip(LatheRing *ring, size_t n);

#endif
