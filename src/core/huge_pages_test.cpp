#include "core/huge_pages.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace muhafiz::core {
namespace {

TEST(HugePages, LargeBlocksAreWholeAlignedHugePagesAndKeepTheirContents) {
    HugeVector<std::uint64_t> v;
    // Grown from small (operator new) through large (mapped) blocks: the values move along.
    for (std::uint64_t i = 0; i < (std::uint64_t{3} << 20); ++i) v.push_back(i * 7);
    ASSERT_GE(v.capacity() * sizeof(std::uint64_t), kHugePageThreshold);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(v.data()) % kHugePageThreshold, 0u);
    for (std::uint64_t i = 0; i < v.size(); i += 4099) ASSERT_EQ(v[i], i * 7);
    EXPECT_EQ(v.back(), (v.size() - 1) * 7);
    // The whole mapping can be written (rounded up to whole huge pages: the last byte too).
    auto* bytes = reinterpret_cast<unsigned char*>(v.data());
    bytes[v.capacity() * sizeof(std::uint64_t) - 1] = 1;
    v.clear();
    v.shrink_to_fit();
    EXPECT_EQ(v.capacity(), 0u);
}

TEST(HugePages, SmallBlocksAreCacheLineAligned) {
    for (std::size_t n : {1u, 3u, 100u, 4096u}) {
        void* p = AllocateHugePageable(n);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 64, 0u) << n;
        static_cast<unsigned char*>(p)[n - 1] = 7;
        FreeHugePageable(p, n);
    }
    // A size just under and at the threshold.
    for (std::size_t n : {kHugePageThreshold - 1, kHugePageThreshold, kHugePageThreshold + 1}) {
        auto* p = static_cast<unsigned char*>(AllocateHugePageable(n));
        p[0] = 1;
        p[n - 1] = 2;
        EXPECT_EQ(p[0] + p[n - 1], 3);
        FreeHugePageable(p, n);
    }
}

}  // namespace
}  // namespace muhafiz::core
