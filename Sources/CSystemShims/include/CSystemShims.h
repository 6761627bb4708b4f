#ifndef C_SYSTEM_SHIMS_H
#define C_SYSTEM_SHIMS_H

/* Linux calls that the Glibc module does not expose (they need _GNU_SOURCE). */

#include <sys/types.h>

/* Starts write-back of a file range without waiting, so a later fsync has little left to do.
   Returns 0, or -1 with errno set; a no-op returning 0 where the call does not exist. */
int pier_start_writeback(int fd, off_t offset, off_t length);

/* Drops the process's resident pages of read-only file mappings (code and constants of the
   binary and its libraries), most of which only start-up touched. They are clean copies of
   the page cache, so nothing is lost: what the server runs afterwards faults back in. */
void pier_release_startup_pages(void);

/* Hands the pages glibc's allocator holds free back to the system (malloc_trim): after a
   burst of short-lived allocations, such as a garbage collection's sets of every stored
   digest, freed memory otherwise stays resident as the heap's high-water mark. */
void pier_release_free_memory(void);

/* Makes glibc's allocator hand large buffers (streamed blob chunks) back to the system as
   soon as they are freed, instead of raising its mmap threshold and keeping them in
   per-thread arenas, which let RSS drift far above what is in use. */
void pier_tune_allocator(void);

/* Reads like pread, but only what the page cache already holds: -1 with errno EAGAIN when
   the read would wait for the disk (or the kernel cannot tell: no RWF_NOWAIT), so an event
   loop can send cached bytes itself and leave the rest to a thread pool. */
ssize_t pier_pread_cached(int fd, void *buffer, size_t count, off_t offset);

#endif
