// Bytes appended to a buffer that grows without copying them once it is large: from
// kGrowInPlaceBytes on, its storage is mapped on its own and grown by mremap (the pages, not the
// bytes, are moved; those written stay faulted in), and the room it grows by is not zero-filled
// (a std::string's resize fills it). For texts built an event at a time, each to be read by offset
// (the open blocks of a feed's ingest): a std::string grown by doubling copied ~2 MiB per block
// and faulted in twice the pages it kept.
//
// Thread-safety: none (one owner); movable, not copyable.
#pragma once

#include <cstddef>
#include <utility>

namespace muhafiz::core {

class ByteBuffer {
public:
    static constexpr std::size_t kGrowInPlaceBytes = std::size_t{64} << 10;
    ByteBuffer() = default;
    ByteBuffer(const ByteBuffer&) = delete;
    ByteBuffer& operator=(const ByteBuffer&) = delete;
    ByteBuffer(ByteBuffer&& o) noexcept : data_(o.data_), size_(o.size_), capacity_(o.capacity_) {
        o.data_ = nullptr;
        o.size_ = o.capacity_ = 0;
    }
    ByteBuffer& operator=(ByteBuffer&& o) noexcept {
        std::swap(data_, o.data_);
        std::swap(size_, o.size_);
        std::swap(capacity_, o.capacity_);
        return *this;
    }
    ~ByteBuffer();

    [[nodiscard]] char* data() noexcept { return data_; }
    [[nodiscard]] const char* data() const noexcept { return data_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    void clear() noexcept { size_ = 0; }  // (the storage is kept)
    // Room for `n` more bytes after size() (not zero-filled; throws std::bad_alloc): write there,
    // then Grow by what was written.
    [[nodiscard]] char* Room(std::size_t n) {
        if (capacity_ - size_ < n) Reserve(size_ + n);
        return data_ + size_;
    }
    void Grow(std::size_t n) noexcept { size_ += n; }
    void Reserve(std::size_t n);

private:
    char* data_ = nullptr;
    std::size_t size_ = 0, capacity_ = 0;
};

}  // namespace muhafiz::core
