/* lathe — lock-free SPSC byte ring (see ring.h for the contract).
 *
 * Rule: one acquire load of the other side's position, the copy, one
 * release store of your own position.
 *
 * Positions run freely (they are never reduced modulo the size); the
 * index into the buffer is pos & mask. Then write_pos - read_pos is the
 * fill level even after size_t wraps, and a full ring (fill == size) is
 * told apart from an empty one (fill == 0) without sacrificing a byte, so
 * all size bytes are usable.
 *
 * Why the orderings are enough: the producer's release store of write_pos
 * comes after its memcpy into the buffer, and the consumer's acquire load
 * of write_pos comes before its memcpy out, so the consumer never copies
 * bytes older than the position it saw. Symmetrically, the consumer's
 * release store of read_pos comes after its copy out, so the producer
 * never overwrites bytes the consumer is still copying.
 */
#include "ring.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 64 bytes: the cache line of x86-64 and most ARM64 cores. Each position
 * has a line of its own, so the producer storing write_pos does not
 * invalidate the line the consumer stores read_pos in (false sharing),
 * and neither invalidates the read-only fields. */
#define LATHE_CACHE_LINE 64

struct LatheRing {
	/* Stored by the producer only; loaded by both. */
	alignas(LATHE_CACHE_LINE) _Atomic size_t write_pos;
	/* Stored by the consumer only; loaded by both. */
	alignas(LATHE_CACHE_LINE) _Atomic size_t read_pos;
	/* Fixed after new: read by both, written by neither. */
	alignas(LATHE_CACHE_LINE) size_t size; /* a power of two */
	size_t mask;                           /* size - 1 */
	unsigned char *buf;
};

LatheRing *lathe_ring_new(size_t capacity)
{
	/* Round up to a power of two, so pos & mask replaces pos % size.
	 * Above SIZE_MAX / 2 + 1 there is no power of two to round up to. */
	if (capacity > SIZE_MAX / 2 + 1)
		return NULL;
	size_t size = 1;
	while (size < capacity)
		size <<= 1;

	/* aligned_alloc wants a size that is a multiple of the alignment;
	 * sizeof(LatheRing) is one, because of the alignas members. */
	LatheRing *ring = aligned_alloc(alignof(LatheRing), sizeof(*ring));
	if (!ring)
		return NULL;
	ring->buf = malloc(size);
	if (!ring->buf) {
		free(ring);
		return NULL;
	}
	ring->size = size;
	ring->mask = size - 1;
	atomic_init(&ring->write_pos, 0);
	atomic_init(&ring->read_pos, 0);
	return ring;
}

void lathe_ring_free(LatheRing *ring)
{
	if (!ring)
		return;
	free(ring->buf);
	free(ring);
}

/* ---- producer --------------------------------------------------------- */

/* Free bytes given the producer's own position w. */
static inline size_t space_for_writer(const LatheRing *ring, size_t w)
{
	/* Acquire: the consumer finished copying out everything before r. */
	size_t r = atomic_load_explicit(&ring->read_pos, memory_order_acquire);
	return ring->size - (w - r);
}

size_t lathe_ring_write_space(const LatheRing *ring)
{
	/* Relaxed: only this thread stores write_pos. */
	size_t w = atomic_load_explicit(&ring->write_pos, memory_order_relaxed);
	return space_for_writer(ring, w);
}

bool lathe_ring_write(LatheRing *ring, const void *data, size_t n)
{
	size_t w = atomic_load_explicit(&ring->write_pos, memory_order_relaxed);
	if (n > space_for_writer(ring, w))
		return false; /* all or nothing: no byte copied, no position moved */
	if (n == 0)
		return true;

	/* The copy, in two parts when it crosses the end of the buffer. */
	size_t off = w & ring->mask;
	size_t first = ring->size - off;
	if (first > n)
		first = n;
	memcpy(ring->buf + off, data, first);
	memcpy(ring->buf, (const unsigned char *)data + first, n - first);

	/* Release: the bytes are in place before the consumer can see them. */
	atomic_store_explicit(&ring->write_pos, w + n, memory_order_release);
	return true;
}

/* ---- consumer --------------------------------------------------------- */

/* Readable bytes given the consumer's own position r. */
static inline size_t space_for_reader(const LatheRing *ring, size_t r)
{
	/* Acquire: the producer finished copying in everything before w. */
	size_t w = atomic_load_explicit(&ring->write_pos, memory_order_acquire);
	return w - r;
}

size_t lathe_ring_read_space(const LatheRing *ring)
{
	/* Relaxed: only this thread stores read_pos. */
	size_t r = atomic_load_explicit(&ring->read_pos, memory_order_relaxed);
	return space_for_reader(ring, r);
}

/* Copy n bytes starting at position r; the caller checked they are there. */
static inline void copy_out(const LatheRing *ring, size_t r, void *data, size_t n)
{
	size_t off = r & ring->mask;
	size_t first = ring->size - off;
	if (first > n)
		first = n;
	memcpy(data, ring->buf + off, first);
	memcpy((unsigned char *)data + first, ring->buf, n - first);
}

bool lathe_ring_peek(const LatheRing *ring, void *data, size_t n)
{
	size_t r = atomic_load_explicit(&ring->read_pos, memory_order_relaxed);
	if (n > space_for_reader(ring, r))
		return false;
	if (n == 0)
		return true; /* data may be NULL; memcpy must not see it */
	copy_out(ring, r, data, n);
	return true; /* read_pos untouched: nothing consumed */
}

bool lathe_ring_read(LatheRing *ring, void *data, size_t n)
{
	size_t r = atomic_load_explicit(&ring->read_pos, memory_order_relaxed);
	if (n > space_for_reader(ring, r))
		return false; /* nothing copied, nothing consumed */
	if (n == 0)
		return true;
	copy_out(ring, r, data, n);
	/* Release: the copy is done before the producer may reuse the bytes. */
	atomic_store_explicit(&ring->read_pos, r + n, memory_order_release);
	return true;
}

bool lathe_ring_skip(LatheRing *ring, size_t n)
{
	size_t r = atomic_load_explicit(&ring->read_pos, memory_order_relaxed);
	if (n > space_for_reader(ring, r))
		return false;
	/* Release as in read: the producer may overwrite these bytes only after
	 * this store, and the consumer may have peeked at them just before. */
	atomic_store_explicit(&ring->read_pos, r + n, memory_order_release);
	return true;
}
