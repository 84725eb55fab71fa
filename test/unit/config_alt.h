/* config_alt.h - a different valid value for any key of the table of
 * configuration keys, so tests can loop over the table instead of keeping
 * a hand list of keys that goes stale when a key is added.
 *
 * Test-only helper, linked into every unit-test binary. */
#ifndef FJORD_TEST_CONFIG_ALT_H
#define FJORD_TEST_CONFIG_ALT_H

#include <stddef.h>

#include "common/config_keys.h"

/* Writes into out a value of k, spelled as in the INI file, that parses,
 * lies in k's range and differs from k's value in base (a struct config,
 * or a struct config_topic for a topic key). Integers move by one (inside
 * the range, so the [raft] cross-key rule still holds around the
 * defaults); addresses keep their host and move their port by one. */
void config_alt_value(const struct config_key *k, const void *base, char *out, size_t out_len);

#endif
