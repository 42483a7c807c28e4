/* lathe — CIDR networks (see cidr.h). */
#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool lathe_cidr_parse(const char *text, LatheCidr *out)
{
	char host[64];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	if (len == 0 || len >= sizeof(host))
		return false;
	memcpy(host, text, len);
	host[len] = '\0';
	LatheCidr c = { 0 };
	if (inet_pton(AF_INET, host, c.addr) == 1) {
		c.family = AF_INET;
		c.bits = 32;
	} else if (inet_pton(AF_INET6, host, c.addr) == 1) {
		c.family = AF_INET6;
		c.bits = 128;
	} else {
		return false;
	}
	if (slash) {
		char *end;
		long bits = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || bits < 0 || bits > c.bits)
			return false;
		c.bits = (int)bits;
	}
	/* No host bits under the prefix. */
	for (int i = c.bits; i < (c.family == AF_INET ? 32 : 128); i++)
		if (c.addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	*out = c;
	return true;
}

/* The sender's address bytes and family, with v4-mapped IPv6 as IPv4. */
static int address_bytes(const struct sockaddr *sa, uint8_t bytes[16])
{
	if (sa->sa_family == AF_INET) {
		memcpy(bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(bytes, a->s6_addr + 12, 4);
			return AF_INET;
		}
		memcpy(bytes, a->s6_addr, 16);
		return AF_INET6;
	}
	return 0;
}

bool lathe_cidr_contains(const LatheCidr *net, const struct sockaddr *sa)
{
	uint8_t bytes[16];
	if (address_bytes(sa, bytes) != net->family)
		return false;
	for (int i = 0; i < net->bits; i++) {
		uint8_t bit = 0x80 >> (i % 8);
		if ((bytes[i / 8] & bit) != (net->addr[i / 8] & bit))
			return false;
	}
	return true;
}

bool lathe_address_loopback(const struct sockaddr *sa)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };
	uint8_t bytes[16];
	switch (address_bytes(sa, bytes)) {
	case AF_INET:
		return bytes[0] == 127;
	case AF_INET6:
		return memcmp(bytes, v6_loopback, 16) == 0;
	default:
		return false;
	}
}

void lathe_address_text(const struct sockaddr *sa, char *buf, size_t size)
{
	uint8_t bytes[16];
	int family = address_bytes(sa, bytes);
	if (!family || !inet_ntop(family, bytes, buf, (socklen_t)size))
		snprintf(buf, size, "?");
}
