#include "core/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>

namespace muhafiz::core {

namespace {
constexpr std::size_t kSmallAlignment = 64;
// A large block's mapping: whole huge pages (the kernel gives huge pages only to 2 MiB-aligned
// ranges of a mapping).
std::size_t MappedSize(std::size_t bytes) { return (bytes + kHugePageThreshold - 1) & ~(kHugePageThreshold - 1); }
}  // namespace

void* AllocateHugePageable(std::size_t bytes) {
    if (bytes < kHugePageThreshold) return ::operator new(bytes, std::align_val_t{kSmallAlignment});
    const std::size_t size = MappedSize(bytes);
    // Mapped with a huge page's room to spare, then cut to a 2 MiB-aligned range.
    void* m = mmap(nullptr, size + kHugePageThreshold, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw std::bad_alloc();
    const auto at = reinterpret_cast<std::uintptr_t>(m);
    const std::uintptr_t aligned = (at + kHugePageThreshold - 1) & ~(std::uintptr_t{kHugePageThreshold} - 1);
    if (aligned > at) munmap(m, aligned - at);
    if (const std::size_t tail = (at + size + kHugePageThreshold) - (aligned + size))
        munmap(reinterpret_cast<void*>(aligned + size), tail);
#ifdef MADV_HUGEPAGE
    (void)madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);  // (a hint: pages of 4 KiB else)
#endif
    return reinterpret_cast<void*>(aligned);
}

void FreeHugePageable(void* p, std::size_t bytes) noexcept {
    if (!p) return;
    if (bytes < kHugePageThreshold) {
        ::operator delete(p, std::align_val_t{kSmallAlignment});
        return;
    }
    munmap(p, MappedSize(bytes));
}

}  // namespace muhafiz::core
