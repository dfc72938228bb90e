#include "core/byte_buffer.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace muhafiz::core {

ByteBuffer::~ByteBuffer() {
    if (!data_) return;
    if (capacity_ >= kGrowInPlaceBytes) munmap(data_, capacity_);
    else std::free(data_);
}

void ByteBuffer::Reserve(std::size_t n) {
    if (n <= capacity_) return;
    // Doubling (amortised appends); whole pages once mapped.
    std::size_t want = std::max(n, capacity_ * 2);
    if (want < kGrowInPlaceBytes) {
        void* p = std::realloc(data_, want);
        if (!p) throw std::bad_alloc();
        data_ = static_cast<char*>(p);
        capacity_ = want;
        return;
    }
    constexpr std::size_t kPage = 4096;
    want = (want + kPage - 1) & ~(kPage - 1);
    void* p;
    if (capacity_ >= kGrowInPlaceBytes) {
        p = mremap(data_, capacity_, want, MREMAP_MAYMOVE);
        if (p == MAP_FAILED) throw std::bad_alloc();
    } else {
        p = mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        if (size_) std::memcpy(p, data_, size_);
        std::free(data_);
    }
    data_ = static_cast<char*>(p);
    capacity_ = want;
}

}  // namespace muhafiz::core
