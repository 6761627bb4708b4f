#define _GNU_SOURCE
#include <fcntl.h>
#include "CSystemShims.h"
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <errno.h>
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

ssize_t pier_pread_cached(int fd, void *buffer, size_t count, off_t offset) {
#if defined(__linux__) && defined(RWF_NOWAIT)
    struct iovec iov = { buffer, count };
    ssize_t n = preadv2(fd, &iov, 1, offset, RWF_NOWAIT);
    if (n < 0 && (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL)) errno = EAGAIN;
    return n;
#else
    (void)fd; (void)buffer; (void)count; (void)offset;
    errno = EAGAIN;
    return -1;
#endif
}

void pier_tune_allocator(void) {
#ifdef __GLIBC__
    /* A fixed threshold also turns off glibc's dynamic adjustment. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_ARENA_MAX, 4);
#endif
}

void pier_release_free_memory(void) {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

void pier_release_startup_pages(void) {
#ifdef __linux__
    FILE *maps = fopen("/proc/self/smaps", "r");
    if (!maps) return;
    char line[4096];
    unsigned long start = 0, end = 0;
    int candidate = 0;
    /* Each mapping's header line is followed by fields; "Anonymous:" says how much of it was
       copied on write (relocated constants, RELRO). Only mappings with none are dropped. */
    while (fgets(line, sizeof line, maps)) {
        unsigned long s0, e0;
        char perms[8] = {0};
        char path[4096] = {0};
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095s", &s0, &e0, perms, path) >= 3 && strchr(line, '-') < strchr(line, ' ')) {
            start = s0;
            end = e0;
            candidate = path[0] == '/' && perms[1] != 'w' && perms[3] == 'p' && strncmp(path, "/dev/", 5) != 0;
            continue;
        }
        unsigned long anonymous;
        if (candidate && sscanf(line, "Anonymous: %lu kB", &anonymous) == 1) {
            if (anonymous == 0) (void)madvise((void *)start, end - start, MADV_DONTNEED);
            candidate = 0;
        }
    }
    fclose(maps);
#endif
}
