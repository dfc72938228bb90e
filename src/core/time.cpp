#include "core/time.hpp"

#include <chrono>
#include <cstdio>

namespace muhafiz::core {

// Days from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void CivilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

namespace {

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

unsigned DaysInMonth(std::int64_t y, unsigned m) {
    static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return kDays[m - 1];
}

}  // namespace

Micros NowMicros() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string FormatRfc3339(Micros t, bool millis_only) {
    std::int64_t secs = t / 1000000;
    std::int64_t frac = t % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    std::int64_t days = secs / 86400;
    std::int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    std::int64_t y;
    unsigned m, d;
    CivilFromDays(days, y, m, d);
    char buf[48];
    int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d",
                          static_cast<long long>(y), m, d, static_cast<int>(rem / 3600),
                          static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
    if (millis_only) {
        n += std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(frac / 1000));
    } else if (frac != 0) {
        n += std::snprintf(buf + n, sizeof buf - n, ".%06dZ", static_cast<int>(frac));
    } else {
        n += std::snprintf(buf + n, sizeof buf - n, "Z");
    }
    return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<Micros> ParseRfc3339(std::string_view s) {
    int year, mon, day, hh = 0, mm = 0, ss = 0;
    if (!Digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, mon) ||
        s[7] != '-' || !Digits(s, 8, 2, day))
        return std::nullopt;
    if (mon < 1 || mon > 12 || day < 1 || static_cast<unsigned>(day) > DaysInMonth(year, mon))
        return std::nullopt;
    std::size_t pos = 10;
    std::int64_t frac_us = 0;
    int offset_sec = 0;
    if (pos < s.size()) {
        if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
        ++pos;
        if (!Digits(s, pos, 2, hh) || pos + 2 >= s.size() || s[pos + 2] != ':' ||
            !Digits(s, pos + 3, 2, mm))
            return std::nullopt;
        pos += 5;
        if (pos < s.size() && s[pos] == ':') {
            if (!Digits(s, pos + 1, 2, ss)) return std::nullopt;
            pos += 3;
        }
        if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
        if (ss == 60) ss = 59;  // leap second: clamp
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
            ++pos;
            int digits = 0;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                if (digits < 6) frac_us = frac_us * 10 + (s[pos] - '0');
                ++digits;
                ++pos;
            }
            if (digits == 0) return std::nullopt;
            for (int i = digits; i < 6; ++i) frac_us *= 10;
        }
        if (pos < s.size()) {
            if (s[pos] == 'Z' || s[pos] == 'z') {
                ++pos;
            } else if (s[pos] == '+' || s[pos] == '-') {
                int oh, om;
                const int sign = s[pos] == '-' ? -1 : 1;
                if (!Digits(s, pos + 1, 2, oh)) return std::nullopt;
                std::size_t p = pos + 3;
                if (p < s.size() && s[p] == ':') ++p;
                if (!Digits(s, p, 2, om)) return std::nullopt;
                if (oh > 23 || om > 59) return std::nullopt;
                offset_sec = sign * (oh * 3600 + om * 60);
                pos = p + 2;
            } else {
                return std::nullopt;
            }
        }
        if (pos != s.size()) return std::nullopt;
    }
    const std::int64_t days = DaysFromCivil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day));
    const std::int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_sec;
    return secs * 1000000 + frac_us;
}

}  // namespace muhafiz::core
