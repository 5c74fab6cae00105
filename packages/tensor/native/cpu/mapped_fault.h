// What happens when a memory-mapped file shrinks under us (truncated in place while mapped): a read of a
// page past its new end raises SIGBUS, which by default kills the process with nothing logged.
//
// Design (README "Memory-mapped files"), two layers:
//  1. Between steps, a typed error. Each mapping keeps its file open; every use of a mapped storage by a
//     binding (op arguments, a runner step, Storage.read) and every mmapView first fstat()s that file
//     (mapping_check in mmap.cpp) and throws an error naming the file if it is now shorter than the
//     mapping. One fstat per mapped storage per call: well under a microsecond.
//  2. During a step, a clear last word. A truncation that lands while a kernel (or JS, through a view)
//     reads the pages cannot be turned into an exception on that thread, so the SIGBUS handler below,
//     when the faulting address lies in a registered mapping, writes one line naming the file to stderr
//     and exits with kMappedFileExitCode. Faults anywhere else go to the previous handler (or the
//     default action), exactly as before.
// A file replaced by rename (a new download, `mv`) leaves the mapped inode intact and is harmless.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gptj {

// EX_IOERR of sysexits.h; the TS layer exports it as MAPPED_FILE_EXIT_CODE.
constexpr int kMappedFileExitCode = 74;

// A mapped byte range and the file it maps. Registered records must stay valid (never freed) while
// registered: the handler may read them at any moment.
struct FaultRange {
  const uint8_t* base;
  size_t len;
  const char* path;
};

// Installs the SIGBUS handler (once per process) and registers r. Without a free slot (more than
// kFaultSlots live mappings) r is not covered and a fault there keeps the default action.
void fault_guard_add(const FaultRange* r);
void fault_guard_remove(const FaultRange* r);

}  // namespace gptj
