#pragma once
/* A team of worker threads that run the iterations of a loop together with the calling thread. Between loops
   a worker spins for a short while before it sleeps, so loops that follow each other closely (an engine's
   calls on consecutive batches) do not pay a thread wake-up each, as a pool that always sleeps does. */
#include <stdint.h>

typedef void (*acim_iteration)(void *context, int64_t iteration);

/* Runs body(context, i) for every i in 0 ..< iterations, on the calling thread and at most threads - 1
   workers, and returns when every iteration has finished. Iterations are handed out one at a time in
   increasing order to whichever thread is free. A call made while another is running (from an iteration,
   or from another thread) runs its iterations on its own thread, in order. */
void acim_parallel_for(int64_t iterations, int32_t threads, acim_iteration body, void *context);

/* Subtracts one from *counter and returns what is left, atomically: the thread that takes it to zero sees every
   write the other threads made before their own calls (a countdown of the parts of a piece of work, whose
   last part finishes it). */
int64_t acim_count_down(int64_t *counter);
