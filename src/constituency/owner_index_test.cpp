#include "constituency/owner_index.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

namespace muhafiz::constituency {
namespace {

using core::IpAddress;
using core::Prefix;

Prefix P(std::string_view text) {
    auto p = core::ParsePrefix(text);
    EXPECT_TRUE(p) << text << ": " << (p ? "" : p.error().message);
    return p ? *p : Prefix{};
}

IpAddress Ip(std::string_view text) {
    auto ip = core::ParseIp(text);
    EXPECT_TRUE(ip) << text;
    return ip ? *ip : IpAddress{};
}

std::int64_t Org(const OwnerIndex& index, std::string_view ip) {
    auto m = index.Lookup(Ip(ip));
    return m ? m->organisation_id : 0;
}

std::string Matched(const OwnerIndex& index, std::string_view ip) {
    auto m = index.Lookup(Ip(ip));
    return m ? core::FormatPrefix(m->prefix) : "-";
}

TEST(OwnerIndex, EmptyIndexMissesEverything) {
    for (const auto& index : {OwnerIndex::Empty(), OwnerIndex::Build({})}) {
        EXPECT_EQ(index->prefix_count(), 0u);
        EXPECT_EQ(index->LookupV4(0), 0);
        EXPECT_EQ(index->LookupV4(0xffffffffu), 0);
        EXPECT_FALSE(index->Lookup(Ip("192.0.2.1")));
        EXPECT_FALSE(index->Lookup(Ip("2001:db8::1")));
        EXPECT_FALSE(index->Lookup(Ip("::")));
        EXPECT_FALSE(index->Lookup(Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        EXPECT_EQ(index->LookupAsn(64500), 0);
        EXPECT_FALSE(index->LookupDomain("example.pk"));
        EXPECT_FALSE(index->LookupDomain(""));
        EXPECT_TRUE(index->issues().empty());
    }
}

TEST(OwnerIndex, NestedIpv4Prefixes) {
    OwnerEntries e;
    e.prefixes = {{P("10.0.0.0/8"), 1},      {P("10.1.0.0/16"), 2},   {P("10.1.2.0/24"), 3},
                  {P("10.1.2.128/25"), 4},   {P("10.1.2.130/32"), 5}, {P("10.1.2.132/30"), 6},
                  {P("10.128.0.0/9"), 7},    {P("192.0.2.0/24"), 8},  {P("198.51.100.0/23"), 9},
                  {P("198.51.100.0/24"), 10}};
    auto index = OwnerIndex::Build(e);
    EXPECT_EQ(index->prefix_count(), 10u);
    EXPECT_EQ(index->v4_count(), 10u);
    EXPECT_EQ(Org(*index, "10.0.0.1"), 1);
    EXPECT_EQ(Org(*index, "10.127.255.255"), 1);
    EXPECT_EQ(Org(*index, "10.128.0.0"), 7);
    EXPECT_EQ(Org(*index, "10.1.0.0"), 2);
    EXPECT_EQ(Org(*index, "10.1.3.0"), 2);
    EXPECT_EQ(Org(*index, "10.1.2.0"), 3);
    EXPECT_EQ(Org(*index, "10.1.2.127"), 3);
    EXPECT_EQ(Org(*index, "10.1.2.128"), 4);
    EXPECT_EQ(Org(*index, "10.1.2.129"), 4);
    EXPECT_EQ(Org(*index, "10.1.2.130"), 5);
    EXPECT_EQ(Org(*index, "10.1.2.131"), 4);
    EXPECT_EQ(Org(*index, "10.1.2.132"), 6);
    EXPECT_EQ(Org(*index, "10.1.2.135"), 6);
    EXPECT_EQ(Org(*index, "10.1.2.136"), 4);
    EXPECT_EQ(Org(*index, "10.1.2.255"), 4);
    EXPECT_EQ(Org(*index, "11.0.0.0"), 0);
    EXPECT_EQ(Org(*index, "9.255.255.255"), 0);
    EXPECT_EQ(Org(*index, "198.51.101.7"), 9);
    EXPECT_EQ(Org(*index, "198.51.100.7"), 10);
    EXPECT_EQ(Matched(*index, "10.1.2.131"), "10.1.2.128/25");
    EXPECT_EQ(Matched(*index, "10.1.2.130"), "10.1.2.130/32");
    EXPECT_EQ(Matched(*index, "10.200.0.1"), "10.128.0.0/9");
    EXPECT_EQ(Matched(*index, "8.8.8.8"), "-");
    EXPECT_EQ(index->LookupV4(Ip("10.1.2.130").V4()), 5);
    EXPECT_EQ(index->LookupV4(Ip("10.1.9.9").V4()), 2);
    // IPv4-mapped IPv6 addresses are looked up as IPv4.
    EXPECT_EQ(Org(*index, "::ffff:10.1.2.130"), 5);
    EXPECT_EQ(Matched(*index, "::ffff:10.1.2.130"), "10.1.2.130/32");
}

TEST(OwnerIndex, DefaultRoutesAndHostRoutes) {
    OwnerEntries e;
    e.prefixes = {{P("0.0.0.0/0"), 1},       {P("255.255.255.255/32"), 2},
                  {P("0.0.0.0/32"), 3},      {P("::/0"), 4},
                  {P("::/128"), 5},          {P("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"), 6},
                  {P("2001:db8::1/128"), 7}, {P("128.0.0.0/1"), 8}};
    auto index = OwnerIndex::Build(e);
    EXPECT_EQ(Org(*index, "1.2.3.4"), 1);
    EXPECT_EQ(Matched(*index, "1.2.3.4"), "0.0.0.0/0");
    EXPECT_EQ(Org(*index, "0.0.0.0"), 3);
    EXPECT_EQ(Org(*index, "0.0.0.1"), 1);
    EXPECT_EQ(Org(*index, "255.255.255.255"), 2);
    EXPECT_EQ(Org(*index, "255.255.255.254"), 8);
    EXPECT_EQ(Org(*index, "128.0.0.0"), 8);
    EXPECT_EQ(Org(*index, "::"), 5);
    EXPECT_EQ(Org(*index, "::1"), 4);
    EXPECT_EQ(Matched(*index, "::1"), "::/0");
    EXPECT_EQ(Org(*index, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 6);
    EXPECT_EQ(Org(*index, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), 4);
    EXPECT_EQ(Org(*index, "2001:db8::1"), 7);
    EXPECT_EQ(Org(*index, "2001:db8::2"), 4);
    EXPECT_EQ(Org(*index, "2001:db8::"), 4);
    EXPECT_EQ(Matched(*index, "2001:db8::1"), "2001:db8::1/128");
}

TEST(OwnerIndex, NestedIpv6Prefixes) {
    OwnerEntries e;
    e.prefixes = {{P("2001:db8::/32"), 1},           {P("2001:db8:1::/48"), 2},
                  {P("2001:db8:1:2::/64"), 3},       {P("2001:db8:1:2::/63"), 4},
                  {P("2001:db8:8000::/33"), 5},      {P("2001:db8:ffff:ffff::/64"), 6},
                  {P("2400:cb00::/32"), 7},          {P("2001:db9::/32"), 8},
                  {P("2001:db8:1:2:3:4:5:6/128"), 9}};
    auto index = OwnerIndex::Build(e);
    EXPECT_EQ(index->v6_count(), 9u);
    EXPECT_EQ(Org(*index, "2001:db8::1"), 1);
    EXPECT_EQ(Org(*index, "2001:db8:1::1"), 2);
    EXPECT_EQ(Org(*index, "2001:db8:1:2::1"), 3);
    EXPECT_EQ(Org(*index, "2001:db8:1:3::1"), 4);
    EXPECT_EQ(Org(*index, "2001:db8:1:4::1"), 2);
    EXPECT_EQ(Org(*index, "2001:db8:1:2:3:4:5:6"), 9);
    EXPECT_EQ(Org(*index, "2001:db8:1:2:3:4:5:7"), 3);
    EXPECT_EQ(Org(*index, "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff"), 1);
    EXPECT_EQ(Org(*index, "2001:db8:8000::"), 5);
    EXPECT_EQ(Org(*index, "2001:db8:ffff:ffff::1"), 6);
    EXPECT_EQ(Org(*index, "2001:db8:ffff:fffe::1"), 5);
    EXPECT_EQ(Org(*index, "2001:db9::1"), 8);
    EXPECT_EQ(Org(*index, "2001:dba::"), 0);
    EXPECT_EQ(Org(*index, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
    EXPECT_EQ(Org(*index, "2400:cb00:1::"), 7);
    EXPECT_EQ(Org(*index, "2400:cb01::"), 0);
    EXPECT_EQ(Org(*index, "::1"), 0);
    EXPECT_EQ(Matched(*index, "2001:db8:1:3::1"), "2001:db8:1:2::/63");
    EXPECT_EQ(Matched(*index, "2001:db8:9000::1"), "2001:db8:8000::/33");
    EXPECT_EQ(Matched(*index, "2001:db8:9::1"), "2001:db8::/32");
    // IPv4 and IPv6 are separate families.
    EXPECT_EQ(Org(*index, "32.1.13.184"), 0);
}

TEST(OwnerIndex, ConflictsLaterEntryWinsAndIsReported) {
    OwnerEntries e;
    e.prefixes = {{P("192.0.2.0/24"), 1},   {P("192.0.2.0/24"), 2},  {P("192.0.2.0/24"), 2},
                  {P("2001:db8::/32"), 3},  {P("2001:db8::/32"), 4}, {P("198.51.100.0/24"), 5},
                  {P("198.51.100.0/24"), 5}};
    e.asns = {{64500, 1}, {64500, 9}, {64501, 2}, {64501, 2}};
    e.domains = {{"example.pk", 1}, {"Example.PK.", 7}, {"gov.pk", 3}, {"gov.pk", 3}};
    auto index = OwnerIndex::Build(e);
    EXPECT_EQ(Org(*index, "192.0.2.9"), 2);
    EXPECT_EQ(Org(*index, "2001:db8::9"), 4);
    EXPECT_EQ(Org(*index, "198.51.100.1"), 5);
    EXPECT_EQ(index->LookupAsn(64500), 9);
    EXPECT_EQ(index->LookupAsn(64501), 2);
    EXPECT_EQ(index->LookupDomainOrganisation("www.example.pk"), 7);
    EXPECT_EQ(index->prefix_count(), 3u);
    EXPECT_EQ(index->asn_count(), 2u);
    EXPECT_EQ(index->domain_count(), 2u);
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> conflicts;
    for (const auto& issue : index->issues()) {
        EXPECT_EQ(issue.kind, OwnerIndexIssue::Kind::kConflict) << issue.text;
        conflicts[issue.text] = {issue.kept, issue.dropped};
    }
    EXPECT_EQ(index->issues().size(), 4u);  // exact duplicates for one organisation are silent
    EXPECT_EQ(conflicts["192.0.2.0/24"], std::make_pair(std::int64_t{2}, std::int64_t{1}));
    EXPECT_EQ(conflicts["2001:db8::/32"], std::make_pair(std::int64_t{4}, std::int64_t{3}));
    EXPECT_EQ(conflicts["AS64500"], std::make_pair(std::int64_t{9}, std::int64_t{1}));
    EXPECT_EQ(conflicts["example.pk"], std::make_pair(std::int64_t{7}, std::int64_t{1}));
}

TEST(OwnerIndex, BadEntriesAreRepairedOrDroppedAndReported) {
    OwnerEntries e;
    Prefix host_bits{Ip("192.0.2.77"), 24};
    Prefix too_long{Ip("192.0.2.0"), 33};
    Prefix v6_too_long{Ip("2001:db8::"), 129};
    e.prefixes = {{host_bits, 1}, {too_long, 2}, {v6_too_long, 3}, {P("203.0.113.0/24"), 0}};
    e.asns = {{0, 1}, {64500, 0}};
    e.domains = {{"*.example.pk", 1}, {"bad_name.pk", 2}, {"", 3}, {"ok.pk", 0}, {"bücher.de", 4}};
    auto index = OwnerIndex::Build(e);
    EXPECT_EQ(Org(*index, "192.0.2.200"), 1);
    EXPECT_EQ(Matched(*index, "192.0.2.200"), "192.0.2.0/24");
    EXPECT_EQ(Org(*index, "203.0.113.1"), 0);
    EXPECT_EQ(index->asn_count(), 0u);
    EXPECT_EQ(index->domain_count(), 1u);
    EXPECT_EQ(index->LookupDomainOrganisation("www.xn--bcher-kva.de"), 4);
    int masked = 0, invalid = 0;
    for (const auto& issue : index->issues()) {
        if (issue.kind == OwnerIndexIssue::Kind::kHostBitsMasked) {
            ++masked;
            EXPECT_EQ(issue.text, "192.0.2.0/24");
        }
        if (issue.kind == OwnerIndexIssue::Kind::kInvalid) ++invalid;
        EXPECT_NE(issue.kind, OwnerIndexIssue::Kind::kConflict);
    }
    EXPECT_EQ(masked, 1);
    EXPECT_EQ(invalid, 3 + 2 + 4);
}

TEST(OwnerIndex, Asn) {
    OwnerEntries e;
    e.asns = {{64500, 1}, {1, 2}, {4294967295u, 3}, {17557, 4}, {64496, 5}};
    auto index = OwnerIndex::Build(e);
    EXPECT_EQ(index->LookupAsn(64500), 1);
    EXPECT_EQ(index->LookupAsn(1), 2);
    EXPECT_EQ(index->LookupAsn(4294967295u), 3);
    EXPECT_EQ(index->LookupAsn(17557), 4);
    EXPECT_EQ(index->LookupAsn(64496), 5);
    EXPECT_EQ(index->LookupAsn(0), 0);
    EXPECT_EQ(index->LookupAsn(2), 0);
    EXPECT_EQ(index->LookupAsn(64501), 0);
    EXPECT_EQ(index->LookupAsn(4294967294u), 0);
}

TEST(OwnerIndex, DomainSuffixBoundaries) {
    OwnerEntries e;
    e.domains = {{"example.pk", 1},          {"gov.pk", 2},   {"finance.gov.pk", 3}, {"pk", 4},
                 {"a.b.c.d.example.com", 5}, {"localhost", 6}};
    auto index = OwnerIndex::Build(e);
    auto org = [&](std::string_view name) { return index->LookupDomainOrganisation(name); };
    EXPECT_EQ(org("example.pk"), 1);
    EXPECT_EQ(org("www.example.pk"), 1);
    EXPECT_EQ(org("a.b.example.pk"), 1);
    EXPECT_EQ(org("notexample.pk"), 4);  // not example.pk; the "pk" entry owns it
    EXPECT_EQ(org("xample.pk"), 4);
    EXPECT_EQ(org("finance.gov.pk"), 3);
    EXPECT_EQ(org("www.finance.gov.pk"), 3);
    EXPECT_EQ(org("mofinance.gov.pk"), 2);
    EXPECT_EQ(org("gov.pk"), 2);
    EXPECT_EQ(org("pk"), 4);
    EXPECT_EQ(org("example.pk."), 1);  // one trailing dot tolerated
    EXPECT_EQ(org("example.com"), 0);
    EXPECT_EQ(org("c.d.example.com"), 0);
    EXPECT_EQ(org("a.b.c.d.example.com"), 5);
    EXPECT_EQ(org("x.a.b.c.d.example.com"), 5);
    EXPECT_EQ(org("xa.b.c.d.example.com"), 0);
    EXPECT_EQ(org("localhost"), 6);
    EXPECT_EQ(org("my.localhost"), 6);
    EXPECT_EQ(org("notlocalhost"), 0);
    EXPECT_EQ(org(""), 0);
    EXPECT_EQ(org("."), 0);
    EXPECT_EQ(org("EXAMPLE.PK"), 0);  // lookups take normalised names
    auto m = index->LookupDomain("deep.www.finance.gov.pk");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->domain, "finance.gov.pk");
    EXPECT_EQ(m->organisation_id, 3);
    std::string many_labels;
    for (int i = 0; i < 125; ++i) many_labels += "a.";
    many_labels += "pk";  // 127 labels, 252 characters
    EXPECT_EQ(org(many_labels), 4);
    EXPECT_EQ(org("a." + many_labels), 0);  // 254 characters: not a domain name
}

TEST(OwnerIndex, DomainTableWithManyEntries) {
    OwnerEntries e;
    for (int i = 0; i < 5000; ++i) e.domains.push_back({"org" + std::to_string(i) + ".pk", i + 1});
    auto index = OwnerIndex::Build(e);
    for (int i = 0; i < 5000; ++i) {
        ASSERT_EQ(index->LookupDomainOrganisation("mail.org" + std::to_string(i) + ".pk"), i + 1);
    }
    EXPECT_EQ(index->LookupDomainOrganisation("org5000.pk"), 0);
}

// Brute force: the longest matching prefix; among equal prefixes, the last one listed.
std::optional<std::pair<Prefix, std::int64_t>> BruteForce(
    const std::vector<std::pair<Prefix, std::int64_t>>& prefixes, const IpAddress& ip) {
    std::optional<std::pair<Prefix, std::int64_t>> best;
    for (const auto& [p, org] : prefixes) {
        if (core::PrefixContains(p, ip) && (!best || p.length >= best->first.length)) {
            best = {p, org};
        }
    }
    return best;
}

TEST(OwnerIndex, RandomisedAgainstBruteForce) {
    std::mt19937_64 rng(20240607);
    for (int round = 0; round < 3; ++round) {
        std::vector<std::pair<Prefix, std::int64_t>> prefixes;
        // Addresses from a few /12 (IPv4) and /20 (IPv6) regions, so that prefixes nest a lot.
        std::vector<std::uint32_t> v4_regions;
        std::vector<std::array<std::uint8_t, 16>> v6_regions;
        for (int i = 0; i < 6; ++i) {
            v4_regions.push_back(static_cast<std::uint32_t>(rng()) & 0xfff00000u);
            std::array<std::uint8_t, 16> r{};
            for (auto& b : r) b = static_cast<std::uint8_t>(rng());
            v6_regions.push_back(r);
        }
        auto random_v4 = [&]() {
            std::uint32_t base = v4_regions[rng() % v4_regions.size()];
            IpAddress ip = IpAddress::FromV4(base | (static_cast<std::uint32_t>(rng()) & 0xfffffu));
            return ip;
        };
        auto random_v6 = [&]() {
            IpAddress ip;
            ip.v6 = true;
            ip.bytes = v6_regions[rng() % v6_regions.size()];
            // Keep the first 20 bits of the region; randomise the next 28 bits and, sometimes,
            // the rest, so that both short and host-length prefixes collide.
            ip.bytes[2] = static_cast<std::uint8_t>((ip.bytes[2] & 0xf0) | (rng() & 0x0f));
            for (int i = 3; i < 6; ++i) ip.bytes[i] = static_cast<std::uint8_t>(rng() & 0x3);
            if (rng() % 2) {
                for (int i = 6; i < 16; ++i) ip.bytes[i] = static_cast<std::uint8_t>(rng());
            }
            return ip;
        };
        std::uniform_int_distribution<int> org(1, 50);
        for (int i = 0; i < 3000; ++i) {
            int len = static_cast<int>(rng() % 33);
            if (rng() % 4 != 0) len = 8 + static_cast<int>(rng() % 25);
            prefixes.push_back({core::MaskPrefix(random_v4(), len), org(rng)});
        }
        for (int i = 0; i < 2000; ++i) {
            int len = static_cast<int>(rng() % 129);
            if (rng() % 4 != 0) len = 12 + static_cast<int>(rng() % 60);
            prefixes.push_back({core::MaskPrefix(random_v6(), len), org(rng)});
        }
        if (round == 1) prefixes.push_back({P("0.0.0.0/0"), 99});
        if (round == 2) prefixes.push_back({P("::/0"), 98});
        auto index = OwnerIndex::Build(OwnerEntries{prefixes, {}, {}});
        auto check = [&](const IpAddress& ip) {
            auto want = BruteForce(prefixes, ip);
            auto got = index->Lookup(ip);
            ASSERT_EQ(want.has_value(), got.has_value()) << core::FormatIp(ip);
            if (!want) return;
            EXPECT_EQ(got->prefix, want->first) << core::FormatIp(ip);
            EXPECT_EQ(got->organisation_id, want->second) << core::FormatIp(ip);
            if (!ip.v6) {
                EXPECT_EQ(index->LookupV4(ip.V4()), want->second);
            }
        };
        for (int i = 0; i < 4000; ++i) {
            check(random_v4());
            check(random_v6());
            check(IpAddress::FromV4(static_cast<std::uint32_t>(rng())));
        }
        // LookupMany: the same answers for a list of IPv4, IPv6 and IPv4-mapped addresses and
        // gaps, longer than a step of it; a gap keeps its value.
        std::vector<std::optional<IpAddress>> many;
        for (int i = 0; i < 1000; ++i) {
            switch (rng() % 5) {
                case 0: many.push_back(random_v6()); break;
                case 1: many.push_back(std::nullopt); break;
                case 2: {
                    IpAddress mapped;
                    mapped.v6 = true;
                    mapped.bytes[10] = mapped.bytes[11] = 0xff;
                    const std::uint32_t v4 = random_v4().V4();
                    for (int b = 0; b < 4; ++b) mapped.bytes[12 + b] = static_cast<std::uint8_t>(v4 >> (24 - 8 * b));
                    many.push_back(mapped);
                    break;
                }
                default: many.push_back(random_v4());
            }
        }
        std::vector<std::int64_t> ids(many.size(), -7);
        index->LookupMany(many, ids);
        for (std::size_t i = 0; i < many.size(); ++i) {
            if (!many[i]) {
                EXPECT_EQ(ids[i], -7);
                continue;
            }
            const IpAddress& ip = *many[i];
            const auto want = BruteForce(prefixes, ip.IsV4Mapped() ? ip.V4Mapped() : ip);  // (as Lookup)
            EXPECT_EQ(ids[i], want ? want->second : 0) << core::FormatIp(ip);
        }
        // Every prefix's first and last address, and the addresses just outside.
        for (const auto& [p, o] : prefixes) {
            check(p.address);
            if (!p.address.v6) {
                std::uint32_t first = p.address.V4();
                std::uint32_t last =
                    first | (p.length == 0 ? 0xffffffffu : ~(0xffffffffu << (32 - p.length)));
                if (p.length == 32) last = first;
                check(IpAddress::FromV4(last));
                check(IpAddress::FromV4(last + 1));
                check(IpAddress::FromV4(first - 1));
            }
        }
    }
}

TEST(OwnerIndexHolder, SwapPublishesNewSnapshot) {
    OwnerIndexHolder holder;
    ASSERT_TRUE(holder.Get());
    EXPECT_EQ(holder.Get()->prefix_count(), 0u);
    OwnerEntries e;
    e.prefixes = {{P("192.0.2.0/24"), 1}};
    auto old = holder.Swap(OwnerIndex::Build(e));
    EXPECT_EQ(old->prefix_count(), 0u);
    auto snapshot = holder.Get();
    EXPECT_EQ(Org(*snapshot, "192.0.2.1"), 1);
    EXPECT_EQ(holder.Swap(nullptr), snapshot);  // ignored; returns the current snapshot
    EXPECT_EQ(holder.Get(), snapshot);
    e.prefixes = {{P("192.0.2.0/24"), 2}};
    holder.Swap(OwnerIndex::Build(e));
    EXPECT_EQ(Org(*snapshot, "192.0.2.1"), 1);  // a held snapshot does not change
    EXPECT_EQ(Org(*holder.Get(), "192.0.2.1"), 2);
}

TEST(OwnerIndexHolder, ConcurrentReadersAndSwaps) {
    OwnerIndexHolder holder;
    std::atomic<bool> stop{false};
    std::atomic<long> bad{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t) {
        readers.emplace_back([&] {
            while (!stop.load()) {
                auto index = holder.Get();
                std::int64_t org = index->LookupV4(0xc0000201u);
                // Each snapshot maps the address to its own generation, or is the empty one.
                if (org != 0 && org != static_cast<std::int64_t>(index->asn_count())) ++bad;
            }
        });
    }
    for (int generation = 1; generation <= 200; ++generation) {
        OwnerEntries e;
        e.prefixes = {{P("192.0.2.0/24"), generation}};
        for (int a = 0; a < generation; ++a)
            e.asns.push_back({static_cast<std::uint32_t>(a + 1), 1});
        holder.Swap(OwnerIndex::Build(std::move(e)));
    }
    stop = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_EQ(holder.Get()->LookupV4(0xc0000201u), 200);
}

}  // namespace
}  // namespace muhafiz::constituency
