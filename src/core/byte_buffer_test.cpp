#include "core/byte_buffer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>

namespace muhafiz::core {
namespace {

// Appends `s` as the buffer's users do: room, write, grow.
void Append(ByteBuffer& b, const std::string& s) {
    std::memcpy(b.Room(s.size()), s.data(), s.size());
    b.Grow(s.size());
}

TEST(ByteBuffer, GrowsFromSmallToMappedAndRemappedKeepingItsBytes) {
    ByteBuffer b;
    EXPECT_TRUE(b.empty());
    std::string expected;
    // Pieces of varying sizes, past the mapped threshold and many remaps (to 24 MiB).
    for (std::size_t i = 0; expected.size() < (std::size_t{24} << 20); ++i) {
        const std::string piece(1 + (i * 7919) % 3000, static_cast<char>('a' + i % 26));
        Append(b, piece);
        expected += piece;
        ASSERT_EQ(b.size(), expected.size());
        ASSERT_GE(b.capacity(), b.size());
    }
    EXPECT_GE(b.capacity(), ByteBuffer::kGrowInPlaceBytes);
    EXPECT_EQ(std::string(b.data(), b.size()), expected);
    // Its last byte of room can be written.
    char* room = b.Room(1);
    *room = 'z';
}

TEST(ByteBuffer, ClearKeepsTheStorageAndMovesHandItOver) {
    ByteBuffer b;
    Append(b, std::string(200000, 'x'));
    const std::size_t capacity = b.capacity();
    const char* storage = b.data();
    b.clear();
    EXPECT_EQ(b.size(), 0u);
    EXPECT_EQ(b.capacity(), capacity);
    Append(b, "again");
    EXPECT_EQ(b.data(), storage);  // (the room was there: not allocated again)
    EXPECT_EQ(std::string(b.data(), b.size()), "again");

    ByteBuffer moved(std::move(b));
    EXPECT_EQ(std::string(moved.data(), moved.size()), "again");
    EXPECT_EQ(b.capacity(), 0u);
    EXPECT_EQ(b.data(), nullptr);
    ByteBuffer small;
    Append(small, "small");
    small = std::move(moved);
    EXPECT_EQ(std::string(small.data(), small.size()), "again");
    // A moved-from buffer is empty and usable.
    Append(b, "fresh");
    EXPECT_EQ(std::string(b.data(), b.size()), "fresh");
}

TEST(ByteBuffer, ReserveAheadAndRoomWithoutGrowing) {
    ByteBuffer b;
    b.Reserve(1 << 20);
    EXPECT_GE(b.capacity(), std::size_t{1} << 20);
    EXPECT_EQ(b.size(), 0u);
    // Room asked for but not grown by: nothing is added.
    (void)b.Room(100);
    EXPECT_EQ(b.size(), 0u);
    Append(b, "abc");
    EXPECT_EQ(std::string(b.data(), b.size()), "abc");
}

}  // namespace
}  // namespace muhafiz::core
