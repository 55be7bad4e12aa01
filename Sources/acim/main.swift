import ACIMCLI
import CHeap

OpenBLASCoreType.restartIfNeeded()
acim_heap_keep_freed_memory()
Acim.main()
