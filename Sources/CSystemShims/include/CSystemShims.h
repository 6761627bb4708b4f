#ifndef C_SYSTEM_SHIMS_H
#define C_SYSTEM_SHIMS_H

/* Linux calls that the Glibc module does not expose (they need _GNU_SOURCE). */

#include <sys/types.h>

/* Starts write-back of a file range without waiting, so a later fsync has little left to do.
   Returns 0, or -1 with errno set; a no-op returning 0 where the call does not exist. */
int pier_start_writeback(int fd, off_t offset, off_t length);

#endif
