/* lathe — networks written as CIDR ("192.168.1.0/24", "10.0.0.7",
 * "fd00::/8"), for the OSC allow-list: which senders the console obeys.
 *
 * Pure functions; any thread.
 */
#ifndef LATHE_CIDR_H
#define LATHE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network byte order; 4 bytes used for IPv4 */
	int bits;          /* prefix length */
} LatheCidr;

/* Parse "ADDRESS[/BITS]" (no BITS: the one address). False for anything
 * else, or host bits set under the prefix ("10.0.0.1/8" is refused: it is
 * a typing error more often than not). */
bool lathe_cidr_parse(const char *text, LatheCidr *out);

/* Whether a sender's address is in the network. IPv4 senders reaching an
 * IPv6 socket (::ffff:a.b.c.d) count as IPv4. */
bool lathe_cidr_contains(const LatheCidr *net, const struct sockaddr *sa);

/* Whether an address is loopback (127.0.0.0/8, ::1, ::ffff:127.x.x.x). */
bool lathe_address_loopback(const struct sockaddr *sa);

/* The address without its port, as text ("10.0.0.2", "::1"). */
void lathe_address_text(const struct sockaddr *sa, char *buf, size_t size);

#endif
