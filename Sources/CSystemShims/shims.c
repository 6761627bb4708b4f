#define _GNU_SOURCE
#include <fcntl.h>
#include "CSystemShims.h"
#ifdef __GLIBC__
#include <malloc.h>
#endif

int pier_start_writeback(int fd, off_t offset, off_t length) {
#ifdef __linux__
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)length;
    return 0;
#endif
}

void pier_tune_allocator(void) {
#ifdef __GLIBC__
    /* A fixed threshold also turns off glibc's dynamic adjustment. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_ARENA_MAX, 4);
#endif
}

void pier_prefetch(int fd, off_t offset, off_t length) {
#ifdef __linux__
    (void)posix_fadvise(fd, offset, length, POSIX_FADV_WILLNEED);
#else
    (void)fd; (void)offset; (void)length;
#endif
}
