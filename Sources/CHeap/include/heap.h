#pragma once

/// Makes the C heap keep freed memory for reuse instead of returning it to the system: allocations up to
/// 32 MiB come from the heap rather than from mappings of their own, and the heap is not trimmed. The
/// engines allocate and free buffers of a few hundred kilobytes per MVM batch; without this, glibc maps and
/// unmaps them each time and every batch faults its pages in again. A no-op where the C library is not glibc.
void acim_heap_keep_freed_memory(void);
