#include "vulns/version.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace muhafiz::vulns {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
int Sign(int v) { return (v > 0) - (v < 0); }

std::string ToLower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = Lower(c);
    return out;
}

bool AllOf(std::string_view s, bool (*pred)(char)) { return std::all_of(s.begin(), s.end(), pred); }

// A character at i, or '\0' past the end (the C comparators below are written that way).
char At(std::string_view s, std::size_t i) { return i < s.size() ? s[i] : '\0'; }

// Numeric comparison of digit strings of any length.
int CompareDigits(std::string_view a, std::string_view b) {
    while (!a.empty() && a.front() == '0') a.remove_prefix(1);
    while (!b.empty() && b.front() == '0') b.remove_prefix(1);
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return Sign(a.compare(b));
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    for (std::size_t start = 0;;) {
        const std::size_t pos = s.find(sep, start);
        out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
        if (pos == std::string_view::npos) return out;
        start = pos + 1;
    }
}

// Drops a `v`/`V` prefix in front of a digit (Go and many tags write `v1.2.3`).
std::string_view DropV(std::string_view s) {
    if (s.size() > 1 && (s[0] == 'v' || s[0] == 'V') && IsDigit(s[1])) s.remove_prefix(1);
    return s;
}

// ---- semver ----------------------------------------------------------------------------------

struct Semver {
    std::vector<std::string_view> core;
    std::vector<std::string_view> pre;
};

std::optional<Semver> ParseSemver(std::string_view s) {
    s = DropV(s);
    if (const auto plus = s.find('+'); plus != std::string_view::npos) {
        const std::string_view build = s.substr(plus + 1);
        if (build.empty() ||
            !AllOf(build, [](char c) { return IsAlnum(c) || c == '-' || c == '.'; }))
            return std::nullopt;
        s = s.substr(0, plus);
    }
    Semver v;
    std::string_view core = s;
    if (const auto dash = s.find('-'); dash != std::string_view::npos) {
        core = s.substr(0, dash);
        v.pre = Split(s.substr(dash + 1), '.');
        for (auto id : v.pre)
            if (id.empty() || !AllOf(id, [](char c) { return IsAlnum(c) || c == '-'; }))
                return std::nullopt;
    }
    v.core = Split(core, '.');
    for (auto part : v.core)
        if (part.empty() || !AllOf(part, IsDigit)) return std::nullopt;
    return v;
}

int CompareSemver(const Semver& a, const Semver& b) {
    for (std::size_t i = 0; i < std::max(a.core.size(), b.core.size()); ++i) {
        const int c =
            CompareDigits(i < a.core.size() ? a.core[i] : "0", i < b.core.size() ? b.core[i] : "0");
        if (c != 0) return c;
    }
    if (a.pre.empty() != b.pre.empty()) return a.pre.empty() ? 1 : -1;
    for (std::size_t i = 0; i < std::min(a.pre.size(), b.pre.size()); ++i) {
        const bool an = AllOf(a.pre[i], IsDigit), bn = AllOf(b.pre[i], IsDigit);
        const int c = an && bn   ? CompareDigits(a.pre[i], b.pre[i])
                      : an != bn ? (an ? -1 : 1)
                                 : Sign(a.pre[i].compare(b.pre[i]));
        if (c != 0) return c;
    }
    return Sign(static_cast<int>(a.pre.size()) - static_cast<int>(b.pre.size()));
}

// ---- Debian (dpkg lib/dpkg/version.c) ---------------------------------------------------------

struct Epoched {
    std::string_view epoch = "0";
    std::string_view version;
    std::optional<std::string_view> release;  // Debian revision or RPM release
};

// [epoch:]version[-release], shared by Debian and RPM.
std::optional<Epoched> SplitEpoch(std::string_view s) {
    Epoched e;
    if (const auto colon = s.find(':'); colon != std::string_view::npos) {
        e.epoch = s.substr(0, colon);
        if (e.epoch.empty() || !AllOf(e.epoch, IsDigit)) return std::nullopt;
        s = s.substr(colon + 1);
    }
    if (const auto dash = s.rfind('-'); dash != std::string_view::npos) {
        e.release = s.substr(dash + 1);
        s = s.substr(0, dash);
        if (e.release->empty()) return std::nullopt;
    }
    if (s.empty()) return std::nullopt;
    e.version = s;
    return e;
}

int DebOrder(char c) {
    if (IsDigit(c)) return 0;
    if (IsAlpha(c)) return c;
    if (c == '~') return -1;
    if (c != '\0') return c + 256;
    return 0;
}

int DebVerRevCmp(std::string_view a, std::string_view b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        int first_diff = 0;
        while ((i < a.size() && !IsDigit(a[i])) || (j < b.size() && !IsDigit(b[j]))) {
            const int ac = DebOrder(At(a, i)), bc = DebOrder(At(b, j));
            if (ac != bc) return Sign(ac - bc);
            ++i;
            ++j;
        }
        while (At(a, i) == '0') ++i;
        while (At(b, j) == '0') ++j;
        while (IsDigit(At(a, i)) && IsDigit(At(b, j))) {
            if (first_diff == 0) first_diff = a[i] - b[j];
            ++i;
            ++j;
        }
        if (IsDigit(At(a, i))) return 1;
        if (IsDigit(At(b, j))) return -1;
        if (first_diff != 0) return Sign(first_diff);
    }
    return 0;
}

std::optional<Epoched> ParseDebian(std::string_view s) {
    auto e = SplitEpoch(s);
    if (!e || !IsDigit(e->version.front())) return std::nullopt;
    auto ok = [](char c) {
        return IsAlnum(c) || c == '.' || c == '+' || c == '~' || c == '-' || c == ':';
    };
    if (!AllOf(e->version, ok) || (e->release && !AllOf(*e->release, ok))) return std::nullopt;
    return e;
}

int CompareDebian(const Epoched& a, const Epoched& b) {
    if (int c = CompareDigits(a.epoch, b.epoch); c != 0) return c;
    if (int c = DebVerRevCmp(a.version, b.version); c != 0) return c;
    return DebVerRevCmp(a.release.value_or(""), b.release.value_or(""));
}

// ---- RPM (rpmio/rpmvercmp.c) ------------------------------------------------------------------

int RpmVerCmp(std::string_view a, std::string_view b) {
    if (a == b) return 0;
    std::size_t i = 0, j = 0;
    auto skip = [](std::string_view s, std::size_t& k) {
        while (k < s.size() && !IsAlnum(s[k]) && s[k] != '~' && s[k] != '^') ++k;
    };
    while (i < a.size() || j < b.size()) {
        skip(a, i);
        skip(b, j);
        if (At(a, i) == '~' || At(b, j) == '~') {
            if (At(a, i) != '~') return 1;
            if (At(b, j) != '~') return -1;
            ++i;
            ++j;
            continue;
        }
        if (At(a, i) == '^' || At(b, j) == '^') {
            if (i == a.size()) return -1;
            if (j == b.size()) return 1;
            if (At(a, i) != '^') return 1;
            if (At(b, j) != '^') return -1;
            ++i;
            ++j;
            continue;
        }
        if (i == a.size() || j == b.size()) break;
        const bool numeric = IsDigit(a[i]);
        auto segment = [numeric](std::string_view s, std::size_t& k) {
            const std::size_t start = k;
            while (k < s.size() && (numeric ? IsDigit(s[k]) : IsAlpha(s[k]))) ++k;
            return s.substr(start, k - start);
        };
        const std::string_view sa = segment(a, i), sb = segment(b, j);
        if (sb.empty()) return numeric ? 1 : -1;  // different segment types: numeric is newer
        const int c = numeric ? CompareDigits(sa, sb) : Sign(sa.compare(sb));
        if (c != 0) return c;
    }
    if (i >= a.size() && j >= b.size()) return 0;
    return i >= a.size() ? -1 : 1;
}

std::optional<Epoched> ParseRpm(std::string_view s) {
    auto e = SplitEpoch(s);
    auto printable = [](char c) { return c > ' ' && c < 0x7f; };
    if (!e || !AllOf(e->version, printable) || !std::any_of(s.begin(), s.end(), IsAlnum))
        return std::nullopt;
    if (e->release && !AllOf(*e->release, printable)) return std::nullopt;
    return e;
}

int CompareRpm(const Epoched& a, const Epoched& b) {
    if (int c = CompareDigits(a.epoch, b.epoch); c != 0) return c;
    if (int c = RpmVerCmp(a.version, b.version); c != 0) return c;
    // A version without release matches every release of it (as rpm and yum treat it).
    if (!a.release || !b.release) return 0;
    return RpmVerCmp(*a.release, *b.release);
}

// ---- Maven (org.apache.maven.artifact.versioning.ComparableVersion) -------------------------

struct MavenItem {
    enum class Kind { kInt, kString, kList } kind = Kind::kList;
    std::string value;  // kInt: digits; kString: the comparable qualifier
    std::vector<MavenItem> items;
};

constexpr std::array<std::string_view, 7> kMavenQualifiers = {"alpha",    "beta", "milestone", "rc",
                                                              "snapshot", "",     "sp"};
constexpr std::string_view kMavenRelease = "5";  // index of "" above

MavenItem MavenString(std::string_view s, bool followed_by_digit) {
    if (followed_by_digit && s.size() == 1) {
        if (s == "a")
            s = "alpha";
        else if (s == "b")
            s = "beta";
        else if (s == "m")
            s = "milestone";
    }
    if (s == "ga" || s == "final" || s == "release") s = "";
    if (s == "cr") s = "rc";
    const auto it = std::find(kMavenQualifiers.begin(), kMavenQualifiers.end(), s);
    std::string q = it != kMavenQualifiers.end()
                        ? std::to_string(it - kMavenQualifiers.begin())
                        : std::to_string(kMavenQualifiers.size()) + "-" + std::string(s);
    return {MavenItem::Kind::kString, std::move(q), {}};
}

MavenItem MavenParseItem(bool digit, std::string_view s) {
    if (!digit) return MavenString(s, false);
    while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
    return {MavenItem::Kind::kInt, std::string(s), {}};
}

bool MavenIsNull(const MavenItem& item) {
    switch (item.kind) {
        case MavenItem::Kind::kInt:
            return item.value == "0";
        case MavenItem::Kind::kString:
            return item.value == kMavenRelease;
        case MavenItem::Kind::kList:
            return item.items.empty();
    }
    return false;
}

void MavenNormalize(MavenItem& list) {
    for (std::size_t i = list.items.size(); i-- > 0;) {
        if (MavenIsNull(list.items[i])) {
            list.items.erase(list.items.begin() + static_cast<std::ptrdiff_t>(i));
        } else if (list.items[i].kind != MavenItem::Kind::kList) {
            break;
        }
    }
}

MavenItem ParseMaven(std::string_view text) {
    const std::string version = ToLower(text);
    MavenItem root;
    std::vector<MavenItem*> stack{&root};
    // Parents are never appended to again once a child list is opened, so pointers stay valid.
    auto open_list = [&stack] {
        stack.back()->items.emplace_back();
        stack.push_back(&stack.back()->items.back());
    };
    bool digit = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < version.size(); ++i) {
        const char c = version[i];
        const std::string_view pending = std::string_view(version).substr(start, i - start);
        if (c == '.' || c == '-') {
            stack.back()->items.push_back(pending.empty() ? MavenParseItem(true, "0")
                                                          : MavenParseItem(digit, pending));
            start = i + 1;
            if (c == '-') open_list();
        } else if (IsDigit(c)) {
            if (!digit && i > start) {
                stack.back()->items.push_back(MavenString(pending, true));
                start = i;
                open_list();
            }
            digit = true;
        } else {
            if (digit && i > start) {
                stack.back()->items.push_back(MavenParseItem(true, pending));
                start = i;
                open_list();
            }
            digit = false;
        }
    }
    if (version.size() > start)
        stack.back()->items.push_back(
            MavenParseItem(digit, std::string_view(version).substr(start)));
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) MavenNormalize(**it);
    return root;
}

// a.compareTo(b) of ComparableVersion's items; b == nullptr stands for a missing item.
int CompareMaven(const MavenItem& a, const MavenItem* b) {
    using Kind = MavenItem::Kind;
    switch (a.kind) {
        case Kind::kInt:
            if (!b) return a.value == "0" ? 0 : 1;
            return b->kind == Kind::kInt ? CompareDigits(a.value, b->value) : 1;
        case Kind::kString:
            if (!b) return Sign(a.value.compare(kMavenRelease));
            if (b->kind == Kind::kString) return Sign(a.value.compare(b->value));
            return -1;
        case Kind::kList:
            if (!b) {
                for (const auto& item : a.items)
                    if (int c = CompareMaven(item, nullptr); c != 0) return c;
                return 0;
            }
            if (b->kind == Kind::kInt) return -1;
            if (b->kind == Kind::kString) return 1;
            for (std::size_t i = 0; i < std::max(a.items.size(), b->items.size()); ++i) {
                const MavenItem* l = i < a.items.size() ? &a.items[i] : nullptr;
                const MavenItem* r = i < b->items.size() ? &b->items[i] : nullptr;
                const int c = l ? CompareMaven(*l, r) : (r ? -CompareMaven(*r, nullptr) : 0);
                if (c != 0) return c;
            }
            return 0;
    }
    return 0;
}

bool MavenParsable(std::string_view s) {
    return IsDigit(s.front()) && AllOf(s, [](char c) {
               return IsAlnum(c) || c == '.' || c == '-' || c == '_' || c == '+';
           });
}

// ---- PEP 440 ----------------------------------------------------------------------------------

struct Pep440 {
    std::string_view epoch = "0";
    std::vector<std::string_view> release;
    std::optional<std::pair<int, std::string_view>> pre;  // (a=0, b=1, rc=2; number)
    std::optional<std::string_view> post;
    std::optional<std::string_view> dev;
    std::vector<std::string_view> local;
};

class Pep440Parser {
  public:
    explicit Pep440Parser(std::string_view s) : s_(s) {}

    std::optional<Pep440> Parse() {
        Pep440 v;
        if (Peek() == 'v') ++pos_;
        const std::size_t mark = pos_;
        if (auto digits = Digits(); !digits.empty() && Peek() == '!') {
            v.epoch = digits;
            ++pos_;
        } else {
            pos_ = mark;
        }
        do {
            auto part = Digits();
            if (part.empty()) return std::nullopt;
            v.release.push_back(part);
        } while (Peek() == '.' && IsDigit(At(s_, pos_ + 1)) && ++pos_);
        ParsePre(v);
        ParsePost(v);
        ParseDev(v);
        if (Peek() == '+') {
            ++pos_;
            do {
                const std::size_t start = pos_;
                while (IsAlnum(Peek())) ++pos_;
                if (pos_ == start) return std::nullopt;
                v.local.push_back(s_.substr(start, pos_ - start));
            } while ((Peek() == '.' || Peek() == '-' || Peek() == '_') && ++pos_);
        }
        if (pos_ != s_.size()) return std::nullopt;
        return v;
    }

  private:
    char Peek() const { return At(s_, pos_); }
    void Separator() {
        if (Peek() == '.' || Peek() == '-' || Peek() == '_') ++pos_;
    }
    std::string_view Digits() {
        const std::size_t start = pos_;
        while (IsDigit(Peek())) ++pos_;
        return s_.substr(start, pos_ - start);
    }
    std::string_view NumberOrZero() {
        auto d = Digits();
        return d.empty() ? std::string_view("0") : d;
    }
    // Index of the first word (in order) that follows; advances past it. -1 if none.
    int Word(std::initializer_list<std::string_view> words) {
        int index = 0;
        for (auto w : words) {
            if (s_.substr(pos_, w.size()) == w) {
                pos_ += w.size();
                return index;
            }
            ++index;
        }
        return -1;
    }
    void ParsePre(Pep440& v) {
        const std::size_t save = pos_;
        Separator();
        // Longest spellings first; mapped onto a (0), b (1), rc (2).
        static constexpr std::array<int, 8> kRank = {0, 1, 2, 2, 2, 0, 1, 2};
        const int w = Word({"alpha", "beta", "preview", "pre", "rc", "a", "b", "c"});
        if (w < 0) {
            pos_ = save;
            return;
        }
        Separator();
        v.pre = std::make_pair(kRank[static_cast<std::size_t>(w)], NumberOrZero());
    }
    void ParseDev(Pep440& v) {
        const std::size_t save = pos_;
        Separator();
        if (Word({"dev"}) < 0) {
            pos_ = save;
            return;
        }
        Separator();
        v.dev = NumberOrZero();
    }
    void ParsePost(Pep440& v) {
        const std::size_t save = pos_;
        if (Peek() == '-' && IsDigit(At(s_, pos_ + 1))) {
            ++pos_;
            v.post = Digits();
            return;
        }
        Separator();
        if (Word({"post", "rev", "r"}) < 0) {
            pos_ = save;
            return;
        }
        Separator();
        v.post = NumberOrZero();
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

// Compares optional numbers where absence sorts as `absent` (-1: lowest, +1: highest).
int CompareOptional(const std::optional<std::string_view>& a,
                    const std::optional<std::string_view>& b, int absent) {
    if (a && b) return CompareDigits(*a, *b);
    if (!a && !b) return 0;
    return a ? -absent : absent;
}

int ComparePep440(const Pep440& a, const Pep440& b) {
    if (int c = CompareDigits(a.epoch, b.epoch); c != 0) return c;
    for (std::size_t i = 0; i < std::max(a.release.size(), b.release.size()); ++i) {
        const int c = CompareDigits(i < a.release.size() ? a.release[i] : "0",
                                    i < b.release.size() ? b.release[i] : "0");
        if (c != 0) return c;
    }
    // A dev release of the final version (1.0.dev1) sorts before its pre-releases.
    auto pre_key = [](const Pep440& v) -> std::pair<int, std::string_view> {
        if (v.pre) return *v.pre;
        return {(!v.post && v.dev) ? -1 : 3, "0"};
    };
    const auto pa = pre_key(a), pb = pre_key(b);
    if (pa.first != pb.first) return pa.first < pb.first ? -1 : 1;
    if (int c = CompareDigits(pa.second, pb.second); c != 0) return c;
    if (int c = CompareOptional(a.post, b.post, -1); c != 0) return c;
    if (int c = CompareOptional(a.dev, b.dev, 1); c != 0) return c;
    for (std::size_t i = 0; i < std::max(a.local.size(), b.local.size()); ++i) {
        if (i >= a.local.size() || i >= b.local.size()) return i >= a.local.size() ? -1 : 1;
        const bool an = AllOf(a.local[i], IsDigit), bn = AllOf(b.local[i], IsDigit);
        const int c = an && bn   ? CompareDigits(a.local[i], b.local[i])
                      : an != bn ? (an ? 1 : -1)
                                 : Sign(a.local[i].compare(b.local[i]));
        if (c != 0) return c;
    }
    return 0;
}

// ---- generic ----------------------------------------------------------------------------------

struct Token {
    enum class Kind { kTilde, kText, kNumber } kind;
    std::string_view text;
    int pre_rank = -1;  // kText: rank of a known pre-release word, -1 for other text
};

int PreReleaseRank(std::string_view word) {
    static constexpr std::array<std::pair<std::string_view, int>, 10> kWords = {{
        {"dev", 0},
        {"alpha", 1},
        {"beta", 2},
        {"milestone", 3},
        {"pre", 4},
        {"preview", 4},
        {"rc", 5},
        {"cr", 5},
        {"snapshot", 6},
        {"ea", 1},
    }};
    for (const auto& [w, rank] : kWords)
        if (w == word) return rank;
    return -1;
}

bool IsZero(const Token& t) {
    return t.kind == Token::Kind::kNumber && CompareDigits(t.text, "0") == 0;
}

std::optional<std::vector<Token>> Tokenize(std::string_view lower) {
    if (!std::any_of(lower.begin(), lower.end(), IsDigit)) return std::nullopt;
    std::vector<Token> tokens;
    for (std::size_t i = 0; i < lower.size();) {
        const char c = lower[i];
        if (c == '~') {
            tokens.push_back({Token::Kind::kTilde, lower.substr(i, 1)});
            ++i;
        } else if (IsAlnum(c)) {
            const bool digit = IsDigit(c);
            const std::size_t start = i;
            while (i < lower.size() && IsAlnum(lower[i]) && IsDigit(lower[i]) == digit) ++i;
            const std::string_view run = lower.substr(start, i - start);
            tokens.push_back({digit ? Token::Kind::kNumber : Token::Kind::kText, run,
                              digit ? -1 : PreReleaseRank(run)});
        } else if (c == '.' || c == '-' || c == '_' || c == '+' || c == ':' || c == '^') {
            ++i;
        } else {
            return std::nullopt;  // white space, punctuation, free text
        }
    }
    // Trailing zero parts change nothing (1.0 == 1.0.0); dropping them keeps the order
    // transitive when text meets a zero part (1.0 < 1.0+test < 1.0.0.1).
    while (!tokens.empty() && IsZero(tokens.back())) tokens.pop_back();
    return tokens;
}

// Whether a token that remains after the other version ended makes its version lower (-1),
// higher (+1) or changes nothing (0: a zero part).
int TrailingWeight(const Token& t) {
    if (t.kind == Token::Kind::kNumber) return CompareDigits(t.text, "0");
    if (t.kind == Token::Kind::kTilde || t.pre_rank >= 0) return -1;
    return 1;  // 1.1.0g, 2.9.9p2, 10.2.9-h1: suffixes after a release
}

int CompareTokens(const std::vector<Token>& a, const std::vector<Token>& b) {
    using Kind = Token::Kind;
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        const Token &x = a[i], &y = b[j];
        if (x.kind != y.kind) {
            // A zero part facing text is padding (1.0+test == 1.0.0+test).
            if (IsZero(x) && y.kind == Kind::kText) {
                ++i;
                continue;
            }
            if (IsZero(y) && x.kind == Kind::kText) {
                ++j;
                continue;
            }
            return x.kind < y.kind ? -1 : 1;  // ~ < text < number
        }
        if (x.kind == Kind::kNumber) {
            if (int c = CompareDigits(x.text, y.text); c != 0) return c;
        } else if (x.kind == Kind::kText) {
            if ((x.pre_rank >= 0) != (y.pre_rank >= 0)) return x.pre_rank >= 0 ? -1 : 1;
            if (x.pre_rank != y.pre_rank) return x.pre_rank < y.pre_rank ? -1 : 1;
            if (int c = Sign(x.text.compare(y.text)); c != 0) return c;
        }
        ++i;
        ++j;
    }
    for (; i < a.size(); ++i)
        if (int w = TrailingWeight(a[i]); w != 0) return w;
    for (; j < b.size(); ++j)
        if (int w = TrailingWeight(b[j]); w != 0) return -w;
    return 0;
}

bool IsSeparator(char c) { return c == '.' || c == '-' || c == '_' || c == '+' || c == '~'; }

}  // namespace

std::string_view TrimVersion(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view SchemeName(VersionScheme scheme) {
    switch (scheme) {
        case VersionScheme::kSemver:
            return "semver";
        case VersionScheme::kDebian:
            return "debian";
        case VersionScheme::kRpm:
            return "rpm";
        case VersionScheme::kMaven:
            return "maven";
        case VersionScheme::kPep440:
            return "pep440";
        case VersionScheme::kGeneric:
            return "generic";
    }
    return "generic";
}

std::optional<VersionScheme> SchemeFromVersionType(std::string_view version_type) {
    const std::string t = ToLower(TrimVersion(version_type));
    if (t == "semver" || t == "npm") return VersionScheme::kSemver;
    if (t == "maven") return VersionScheme::kMaven;
    if (t == "python" || t == "pypi" || t == "pep440") return VersionScheme::kPep440;
    if (t == "rpm") return VersionScheme::kRpm;
    if (t == "deb" || t == "debian" || t == "dpkg") return VersionScheme::kDebian;
    if (t == "generic") return VersionScheme::kGeneric;
    return std::nullopt;
}

std::optional<VersionScheme> SchemeFromPurlType(std::string_view purl_type) {
    const std::string t = ToLower(TrimVersion(purl_type));
    if (t == "npm" || t == "cargo" || t == "golang") return VersionScheme::kSemver;
    if (t == "deb") return VersionScheme::kDebian;
    if (t == "rpm") return VersionScheme::kRpm;
    if (t == "maven") return VersionScheme::kMaven;
    if (t == "pypi") return VersionScheme::kPep440;
    if (t == "generic") return VersionScheme::kGeneric;
    return std::nullopt;
}

std::optional<int> CompareVersions(VersionScheme scheme, std::string_view a, std::string_view b) {
    a = TrimVersion(a);
    b = TrimVersion(b);
    if (a.empty() || b.empty()) return std::nullopt;
    switch (scheme) {
        case VersionScheme::kSemver: {
            auto x = ParseSemver(a), y = ParseSemver(b);
            if (!x || !y) return std::nullopt;
            return CompareSemver(*x, *y);
        }
        case VersionScheme::kDebian: {
            auto x = ParseDebian(a), y = ParseDebian(b);
            if (!x || !y) return std::nullopt;
            return CompareDebian(*x, *y);
        }
        case VersionScheme::kRpm: {
            auto x = ParseRpm(a), y = ParseRpm(b);
            if (!x || !y) return std::nullopt;
            return CompareRpm(*x, *y);
        }
        case VersionScheme::kMaven: {
            if (!MavenParsable(a) || !MavenParsable(b)) return std::nullopt;
            const MavenItem x = ParseMaven(a), y = ParseMaven(b);
            return CompareMaven(x, &y);
        }
        case VersionScheme::kPep440: {
            const std::string la = ToLower(a), lb = ToLower(b);
            auto x = Pep440Parser(la).Parse(), y = Pep440Parser(lb).Parse();
            if (!x || !y) return std::nullopt;
            return ComparePep440(*x, *y);
        }
        case VersionScheme::kGeneric: {
            const std::string la = ToLower(DropV(a)), lb = ToLower(DropV(b));
            auto x = Tokenize(la), y = Tokenize(lb);
            if (!x || !y) return std::nullopt;
            return CompareTokens(*x, *y);
        }
    }
    return std::nullopt;
}

RangeCheck CheckRange(VersionScheme scheme, std::string_view version,
                      const std::optional<VersionBound>& lower,
                      const std::optional<VersionBound>& upper) {
    version = TrimVersion(version);
    std::string fields;
    for (const auto* b : {&lower, &upper}) {
        if (!*b || (b == &upper && lower && lower->field == upper->field)) continue;
        if (!fields.empty()) fields += ", ";
        fields += (*b)->field;
    }
    const std::string suffix =
        " (" + fields + (fields.empty() ? "" : "; ") + std::string(SchemeName(scheme)) + ")";
    const std::string v(version);
    auto undecidable = [&](const VersionBound& b, std::string_view value) {
        return RangeCheck{std::nullopt, "cannot order " + v + " against " + std::string(b.field) +
                                            " '" + std::string(value) + "' as " +
                                            std::string(SchemeName(scheme))};
    };

    std::string text = v;
    if (lower) {
        const std::string_view lv = TrimVersion(lower->value);
        if (lv != "0" && lv != "*") {
            const auto c = CompareVersions(scheme, version, lv);
            if (!c) return undecidable(*lower, lv);
            if (*c < 0 || (*c == 0 && !lower->inclusive))
                return {false, v + (*c < 0 ? " < " : " == ") + std::string(lv) + suffix};
        }
        text = std::string(lv) + (lower->inclusive ? " <= " : " < ") + text;
    }
    if (upper) {
        const std::string_view uv = TrimVersion(upper->value);
        const char* op = upper->inclusive ? " <= " : " < ";
        if (uv != "*") {
            bool below = false;
            if (!uv.empty() && uv.back() == '*') {
                // Series bound: `6.1.*` covers 6.1 and everything that starts with `6.1.`.
                std::string_view series = uv.substr(0, uv.size() - 1);
                while (!series.empty() && IsSeparator(series.back())) series.remove_suffix(1);
                const bool in_series =
                    version.substr(0, series.size()) == series &&
                    (version.size() == series.size() || IsSeparator(version[series.size()]));
                if (!in_series) {
                    const auto c = CompareVersions(scheme, version, series);
                    if (!c) return undecidable(*upper, uv);
                    below = *c < 0;
                }
                below = below || in_series;
                op = " <= ";
            } else {
                const auto c = CompareVersions(scheme, version, uv);
                if (!c) return undecidable(*upper, uv);
                below = *c < 0 || (*c == 0 && upper->inclusive);
            }
            if (!below)
                return {false, v + (upper->inclusive ? " > " : " >= ") + std::string(uv) + suffix};
        }
        text += op + std::string(uv);
    }
    return {true, text + suffix};
}

}  // namespace muhafiz::vulns
