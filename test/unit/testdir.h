/* testdir.h - throw-away directories for tests that touch the disk.
 *
 * Test-only helper, linked into every unit-test binary. Directories live
 * under $TMPDIR (default /tmp) and are removed recursively afterwards. */
#ifndef FJORD_TEST_TESTDIR_H
#define FJORD_TEST_TESTDIR_H

/* Creates a fresh empty directory named after tag. Returns its path (caller
 * frees with testdir_free), or NULL when it cannot be created. */
char *testdir_new(const char *tag);

/* Removes the directory and everything in it, then frees path. NULL is ok. */
void testdir_free(char *path);

#endif
