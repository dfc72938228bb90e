#include "http/router.hpp"

#include <gtest/gtest.h>

#include "http/url.hpp"

namespace muhafiz::http {
namespace {

Handler Named(std::string name) {
    return [name](Request& req) {
        std::string body = name;
        for (const auto& [k, v] : req.path_params) body += " " + k + "=" + v;
        return Response::Text(200, body);
    };
}

Response Call(const Router& router, std::string method, std::string path) {
    Request req;
    req.method = std::move(method);
    req.path = std::move(path);
    return router.Handle(req);
}

TEST(RouterTest, MatchesLiteralsParamsAndWildcards) {
    Router router;
    ASSERT_TRUE(router.Add("GET", "/api/v1/organisations", Named("list")));
    ASSERT_TRUE(router.Add("POST", "/api/v1/organisations", Named("create")));
    ASSERT_TRUE(router.Add("GET", "/api/v1/organisations/{id}", Named("get")));
    ASSERT_TRUE(router.Add("GET", "/api/v1/organisations/tree", Named("tree")));
    ASSERT_TRUE(router.Add("GET", "/api/v1/organisations/{id}/users/{user}", Named("user")));
    ASSERT_TRUE(router.Add("GET", "/taxii2/{*rest}", Named("taxii")));

    EXPECT_EQ(Call(router, "GET", "/api/v1/organisations").body, "list");
    EXPECT_EQ(Call(router, "POST", "/api/v1/organisations/").body, "create");
    EXPECT_EQ(Call(router, "GET", "/api/v1/organisations/42").body, "get id=42");
    // Exact segments beat parameters.
    EXPECT_EQ(Call(router, "GET", "/api/v1/organisations/tree").body, "tree");
    EXPECT_EQ(Call(router, "GET", "/api/v1/organisations/7/users/bob").body, "user id=7 user=bob");
    EXPECT_EQ(Call(router, "GET", "/taxii2/").body, "taxii rest=");
    EXPECT_EQ(Call(router, "GET", "/taxii2").body, "taxii rest=");
    EXPECT_EQ(Call(router, "GET", "/taxii2/root/collections/").body,
              "taxii rest=root/collections/");
    // HEAD falls back to GET.
    EXPECT_EQ(Call(router, "HEAD", "/api/v1/organisations").body, "list");

    RouteMatch m = router.Match("GET", "/api/v1/organisations/abc");
    ASSERT_TRUE(m);
    EXPECT_EQ(m.route->pattern, "/api/v1/organisations/{id}");
    EXPECT_EQ(m.path_params.at("id"), "abc");
}

TEST(RouterTest, NotFoundAndMethodNotAllowed) {
    Router router;
    ASSERT_TRUE(router.Add("GET", "/api/v1/things/{id}", Named("get")));
    ASSERT_TRUE(router.Add("DELETE", "/api/v1/things/{id}", Named("delete")));

    Response r = Call(router, "GET", "/api/v1/nothing");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_NE(r.body.find("\"code\":\"not_found\""), std::string::npos) << r.body;

    r = Call(router, "POST", "/api/v1/things/1");
    EXPECT_EQ(r.status, 405);
    EXPECT_NE(r.body.find("\"code\":\"method_not_allowed\""), std::string::npos) << r.body;
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].first, "Allow");
    EXPECT_EQ(r.headers[0].second, "DELETE, GET, HEAD");

    // Too many or too few segments do not match a parameter route.
    EXPECT_EQ(Call(router, "GET", "/api/v1/things").status, 404);
    EXPECT_EQ(Call(router, "GET", "/api/v1/things/1/more").status, 404);
}

TEST(RouterTest, FallsBackToParameterWhenLiteralLacksMethod) {
    Router router;
    ASSERT_TRUE(router.Add("GET", "/orgs/tree", Named("tree")));
    ASSERT_TRUE(router.Add("DELETE", "/orgs/{id}", Named("delete")));
    EXPECT_EQ(Call(router, "DELETE", "/orgs/tree").body, "delete id=tree");
    // Backtracking: the literal branch dead-ends, the parameter branch matches.
    ASSERT_TRUE(router.Add("GET", "/a/b/c", Named("abc")));
    ASSERT_TRUE(router.Add("GET", "/a/{x}/d", Named("axd")));
    EXPECT_EQ(Call(router, "GET", "/a/b/d").body, "axd x=b");
}

TEST(RouterTest, RejectsBadPatternsAndDuplicates) {
    Router router;
    EXPECT_FALSE(router.Add("GET", "/a/{}", Named("x")));
    EXPECT_FALSE(router.Add("GET", "/a/{*rest}/b", Named("x")));
    EXPECT_FALSE(router.Add("GET", "/a/{id}/{id}", Named("x")));
    EXPECT_FALSE(router.Add("GET", "/a/b{c}", Named("x")));
    EXPECT_FALSE(router.Add("GET", "/a", Handler{}));
    ASSERT_TRUE(router.Add("GET", "/a/{id}", Named("x")));
    auto dup = router.Add("GET", "/a/{other}", Named("y"));
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, core::ErrorCode::kConflict);
    EXPECT_TRUE(router.Add("PUT", "/a/{id}", Named("y")));
}

TEST(RouterTest, BeforeBodyShortCircuits) {
    Router router;
    RouteOptions opts;
    opts.before_body = [](Request& req) -> std::optional<Response> {
        if (!req.Header("authorization")) {
            return Response::Error(core::ErrorCode::kUnauthenticated, "no token");
        }
        return std::nullopt;
    };
    ASSERT_TRUE(router.Add("GET", "/secret", Named("secret"), opts));
    Request req;
    req.method = "GET";
    req.path = "/secret";
    EXPECT_EQ(router.Handle(req).status, 401);
    req.headers["authorization"] = "Bearer x";
    EXPECT_EQ(router.Handle(req).body, "secret");
}

TEST(MessageTest, RequestAccessors) {
    Request req;
    req.query = {{"a", "1"}, {"b", "x y"}, {"a", "2"}};
    req.headers["cookie"] = "muhafiz_session=abc; muhafiz_csrf=\"tok\"; other=1";
    EXPECT_EQ(req.Query("a"), "1");
    EXPECT_EQ(req.QueryAll("a"), (std::vector<std::string>{"1", "2"}));
    EXPECT_FALSE(req.Query("z"));
    EXPECT_EQ(req.Cookie("muhafiz_session"), "abc");
    EXPECT_EQ(req.Cookie("muhafiz_csrf"), "tok");
    EXPECT_FALSE(req.Cookie("muhafiz"));
    EXPECT_EQ(req.PathParam("missing"), "");
}

TEST(MessageTest, ErrorEnvelope) {
    Response r = Response::Error(core::Error{core::ErrorCode::kInvalidArgument, "bad", "name"});
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, R"({"error":{"code":"invalid_argument","message":"bad","field":"name"}})");
    EXPECT_EQ(HttpStatus(core::ErrorCode::kPreconditionFailed), 412);
    EXPECT_EQ(HttpStatus(core::ErrorCode::kUnavailable), 503);
    EXPECT_EQ(Response::NoContent().status, 204);
}

TEST(UrlTest, DecodesPathsAndQueries) {
    EXPECT_EQ(PercentDecode("/a%20b/%C3%A7", false), "/a b/\xC3\xA7");
    EXPECT_EQ(PercentDecode("a+b", false), "a+b");
    EXPECT_EQ(PercentDecode("a+b", true), "a b");
    EXPECT_FALSE(PercentDecode("%zz", false));
    EXPECT_FALSE(PercentDecode("%4", false));
    EXPECT_FALSE(PercentDecode("a%00b", false));
    auto q = ParseQuery("q=hello+world&tag=a%2Cb&flag&&empty=");
    ASSERT_TRUE(q);
    ASSERT_EQ(q->size(), 4u);
    EXPECT_EQ((*q)[0], (std::pair<std::string, std::string>{"q", "hello world"}));
    EXPECT_EQ((*q)[1], (std::pair<std::string, std::string>{"tag", "a,b"}));
    EXPECT_EQ((*q)[2], (std::pair<std::string, std::string>{"flag", ""}));
    EXPECT_EQ((*q)[3], (std::pair<std::string, std::string>{"empty", ""}));
    EXPECT_EQ(PercentEncode("a b/c", true), "a%20b/c");
}

}  // namespace
}  // namespace muhafiz::http
