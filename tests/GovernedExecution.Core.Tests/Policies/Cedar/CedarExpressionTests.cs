using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Tests.Policies.Cedar;

public sealed class CedarExpressionTests
{
    private const string Entities = """
        [
          { "uid": {"type": "User", "id": "alice"}, "attrs": {"age": 30, "name": "Alice", "tags": ["a", "b"], "manager": {"__entity": {"type": "User", "id": "bob"}}, "home": {"__extn": {"fn": "ip", "arg": "10.0.0.1"}}, "addr": {"city": "Paris"}},
            "parents": [{"type": "Group", "id": "staff"}], "tags": {"level": 3, "team": "red"} },
          { "uid": {"type": "User", "id": "bob"}, "attrs": {}, "parents": [] },
          { "uid": {"type": "Group", "id": "staff"}, "attrs": {}, "parents": [{"type": "Group", "id": "all"}] },
          { "uid": {"type": "Group", "id": "all"}, "attrs": {}, "parents": [] },
          { "uid": {"type": "Ns::Sub::Thing", "id": "x"}, "attrs": {"v": 1}, "parents": [] }
        ]
        """;

    private const string Context = """{"flag": true, "n": 5, "s": "hello", "rec": {"inner": {"deep": 1}}, "list": [1, 2, 3]}""";

    private static readonly Lazy<CedarEntityStore> Store = new(() => CedarEntities.ParseJson(Entities).Store);

    [Theory]
    // literals and variables
    [InlineData("true", "true")]
    [InlineData("-9223372036854775808", "-9223372036854775808")]
    [InlineData("\"a\\n\\u{1F600}\\x41\\0\"", "\"a\\n\U0001F600A\\0\"")]
    [InlineData("principal", "User::\"alice\"")]
    [InlineData("Ns::Sub::Thing::\"x\".v", "1")]
    [InlineData("context.s", "\"hello\"")]
    // boolean logic and short circuit
    [InlineData("false && (1 + \"a\")", "false")]
    [InlineData("true || (1 + \"a\")", "true")]
    [InlineData("true && 1", "error")]
    [InlineData("1 && true", "error")]
    [InlineData("false || 1", "error")]
    [InlineData("!true", "false")]
    [InlineData("!1", "error")]
    [InlineData("if context.flag then 1 else 2", "1")]
    [InlineData("if 1 then 1 else 2", "error")]
    [InlineData("if false then 1 + \"a\" else 2", "2")]
    // equality and comparison
    [InlineData("1 == \"1\"", "false")]
    [InlineData("1 != \"1\"", "true")]
    [InlineData("[1, 2] == [2, 1, 1]", "true")]
    [InlineData("{a: 1, b: [2]} == {b: [2], a: 1}", "true")]
    [InlineData("User::\"alice\" == User::\"alice\"", "true")]
    [InlineData("User::\"alice\" == Admin::\"alice\"", "false")]
    [InlineData("1 < 2", "true")]
    [InlineData("2 <= 2", "true")]
    [InlineData("3 > 4", "false")]
    [InlineData("4 >= 5", "false")]
    [InlineData("\"a\" < \"b\"", "error")]
    [InlineData("1 < decimal(\"2.0\")", "error")]
    // arithmetic with overflow as an error
    [InlineData("2 + 3 * 4", "14")]
    [InlineData("10 - 20", "-10")]
    [InlineData("-(5)", "-5")]
    [InlineData("9223372036854775807 + 1", "error")]
    [InlineData("-9223372036854775807 - 2", "error")]
    [InlineData("4611686018427387904 * 2", "error")]
    [InlineData("-(-9223372036854775808)", "error")]
    [InlineData("1 + true", "error")]
    // hierarchy
    [InlineData("principal in Group::\"all\"", "true")]
    [InlineData("principal in principal", "true")]
    [InlineData("principal in [Group::\"x\", Group::\"staff\"]", "true")]
    [InlineData("principal in [Group::\"x\"]", "false")]
    [InlineData("principal in [1]", "error")]
    [InlineData("principal in 1", "error")]
    [InlineData("1 in Group::\"all\"", "error")]
    [InlineData("User::\"ghost\" in User::\"ghost\"", "true")]
    [InlineData("User::\"ghost\" in Group::\"all\"", "false")]
    // attributes and has
    [InlineData("principal.age", "30")]
    [InlineData("principal[\"name\"]", "\"Alice\"")]
    [InlineData("principal.manager", "User::\"bob\"")]
    [InlineData("principal.missing", "error")]
    [InlineData("User::\"ghost\".age", "error")]
    [InlineData("principal has age", "true")]
    [InlineData("principal has \"name\"", "true")]
    [InlineData("principal has missing", "false")]
    [InlineData("User::\"ghost\" has age", "false")]
    [InlineData("principal has addr.city", "true")]
    [InlineData("principal has addr.zip", "false")]
    [InlineData("principal has missing.zip", "false")]
    [InlineData("context has rec.inner.deep", "true")]
    [InlineData("1 has a", "error")]
    [InlineData("{a: 1}.a", "1")]
    [InlineData("{\"a b\": 1}[\"a b\"]", "1")]
    // sets
    [InlineData("[1, 2, 3].contains(2)", "true")]
    [InlineData("[1, 2, 3].containsAll([1, 3])", "true")]
    [InlineData("[1, 2, 3].containsAll([1, 4])", "false")]
    [InlineData("[1, 2, 3].containsAny([4, 3])", "true")]
    [InlineData("[1, 2, 3].containsAny([])", "false")]
    [InlineData("[].isEmpty()", "true")]
    [InlineData("context.list.isEmpty()", "false")]
    [InlineData("1.contains(1)", "error")]
    [InlineData("[1].containsAll(1)", "error")]
    // like
    [InlineData("\"ham and eggs\" like \"ham*\"", "true")]
    [InlineData("\"ham and eggs\" like \"*ham\"", "false")]
    [InlineData("\"eggs and ham\" like \"*h*a*m*\"", "true")]
    [InlineData("\"a*b\" like \"a\\*b\"", "true")]
    [InlineData("\"axb\" like \"a\\*b\"", "false")]
    [InlineData("\"\" like \"*\"", "true")]
    [InlineData("1 like \"*\"", "error")]
    // is
    [InlineData("principal is User", "true")]
    [InlineData("principal is Group", "false")]
    [InlineData("principal is User in Group::\"all\"", "true")]
    [InlineData("principal is Group in 1", "false")]
    [InlineData("principal is User in 1", "error")]
    [InlineData("Ns::Sub::Thing::\"x\" is Ns::Sub::Thing", "true")]
    [InlineData("\"a\" is User", "error")]
    // tags
    [InlineData("principal.getTag(\"level\")", "3")]
    [InlineData("principal.hasTag(\"team\")", "true")]
    [InlineData("principal.hasTag(\"nope\")", "false")]
    [InlineData("principal.getTag(\"nope\")", "error")]
    [InlineData("User::\"ghost\".hasTag(\"level\")", "false")]
    [InlineData("User::\"ghost\".getTag(\"level\")", "error")]
    [InlineData("principal.getTag(1)", "error")]
    // records and sets built from expressions
    [InlineData("{a: 1 + 1, b: principal}.b", "User::\"alice\"")]
    [InlineData("[1 + 1, 2].isEmpty()", "false")]
    public void Evaluates(string expression, string expected)
    {
        Assert.Equal(expected, Evaluate(expression));
    }

    [Theory]
    [InlineData("decimal(\"1.5\").lessThan(decimal(\"1.50001\"))", "error")]
    [InlineData("decimal(\"1.5\").lessThan(decimal(\"1.5001\"))", "true")]
    [InlineData("decimal(\"-0.0123\").greaterThanOrEqual(decimal(\"-1.0\"))", "true")]
    [InlineData("decimal(\"922337203685477.5807\") == decimal(\"922337203685477.5807\")", "true")]
    [InlineData("decimal(\"922337203685477.5808\")", "error")]
    [InlineData("decimal(\"-922337203685477.5808\").lessThanOrEqual(decimal(\"0.0\"))", "true")]
    [InlineData("decimal(\"1.0\") == decimal(\"1.00\")", "true")]
    [InlineData("decimal(\"1\")", "error")]
    [InlineData("decimal(\".1\")", "error")]
    [InlineData("decimal(\"1.\")", "error")]
    [InlineData("decimal(\"1.2\").greaterThan(1)", "error")]
    [InlineData("ip(\"127.0.0.1\").isLoopback()", "true")]
    [InlineData("ip(\"::1\").isLoopback()", "true")]
    [InlineData("ip(\"::1\").isIpv6()", "true")]
    [InlineData("ip(\"10.1.2.3\").isIpv4()", "true")]
    [InlineData("ip(\"224.0.0.1\").isMulticast()", "true")]
    [InlineData("ip(\"ff02::1\").isMulticast()", "true")]
    [InlineData("ip(\"192.168.1.7\").isInRange(ip(\"192.168.1.0/24\"))", "true")]
    [InlineData("ip(\"192.168.2.7\").isInRange(ip(\"192.168.1.0/24\"))", "false")]
    [InlineData("ip(\"10.0.0.0/8\").isInRange(ip(\"10.0.0.0/16\"))", "false")]
    [InlineData("ip(\"::1\").isInRange(ip(\"127.0.0.0/8\"))", "false")]
    [InlineData("ip(\"192.168.0.1/24\") == ip(\"192.168.0.8/24\")", "false")]
    [InlineData("ip(\"380.0.0.1\")", "error")]
    [InlineData("ip(\"127.0.0.1/8/24\")", "error")]
    [InlineData("ip(\"01.2.3.4\")", "error")]
    [InlineData("ip(\"::ffff:1.2.3.4\")", "error")]
    [InlineData("ip(\"1:2:3:4:5:6:7:8\") == ip(\"1:2:3:4:5:6:7:8/128\")", "true")]
    [InlineData("principal.home.isInRange(ip(\"10.0.0.0/8\"))", "true")]
    [InlineData("datetime(\"2024-10-15\").offset(duration(\"1h\")) == datetime(\"2024-10-15T01:00:00Z\")", "true")]
    [InlineData("datetime(\"2024-10-16T01:00:00Z\").offset(duration(\"-1d\")) == datetime(\"2024-10-15T01:00:00Z\")", "true")]
    [InlineData("datetime(\"2024-10-16T00:00:00-0500\").durationSince(datetime(\"2024-10-15\")) == duration(\"1d5h\")", "true")]
    [InlineData("datetime(\"2025-02-20T22:00:00-0500\").toDate() == datetime(\"2025-02-21\")", "true")]
    [InlineData("datetime(\"2025-02-20T10:35:00-0500\").toTime() == duration(\"15h35m\")", "true")]
    [InlineData("datetime(\"1969-12-31T23:00:00Z\").toDate() == datetime(\"1969-12-31\")", "true")]
    [InlineData("datetime(\"1969-12-31T23:00:00Z\").toTime() == duration(\"23h\")", "true")]
    [InlineData("datetime(\"2024-10-15T11:35:00.123Z\") > datetime(\"2024-10-15T11:35:00Z\")", "true")]
    [InlineData("datetime(\"2024-02-30\")", "error")]
    [InlineData("datetime(\"2024-10-15Z\")", "error")]
    [InlineData("datetime(\"2024-01-01T00:00:00\")", "error")]
    [InlineData("datetime(\"2016-12-31T23:59:60.000Z\")", "error")]
    [InlineData("datetime(\"2024-10-15T11:35:00+2400\")", "error")]
    [InlineData("duration(\"1d\").toMilliseconds()", "86400000")]
    [InlineData("duration(\"4m70s\").toMinutes()", "5")]
    [InlineData("duration(\"-1d12h\").toHours()", "-36")]
    [InlineData("duration(\"100ms\").toSeconds()", "0")]
    [InlineData("duration(\"4d30h\").toDays()", "5")]
    [InlineData("duration(\"-9223372036854775808ms\").toMilliseconds()", "-9223372036854775808")]
    [InlineData("duration(\"1s1d\")", "error")]
    [InlineData("duration(\"1s1s\")", "error")]
    [InlineData("duration(\"d\")", "error")]
    [InlineData("duration(\"1d9223372036854775807ms\")", "error")]
    [InlineData("duration(\"1h\") < duration(\"61m\")", "true")]
    [InlineData("duration(\"1h\") < datetime(\"1970-01-01\")", "error")]
    [InlineData("datetime(\"1970-01-01\").offset(duration(\"9223372036854775807ms\")).offset(duration(\"1ms\"))", "error")]
    [InlineData("ip(\"1.2.3.4\", \"x\")", "error")]
    [InlineData("decimal(1)", "error")]
    public void Evaluates_extensions(string expression, string expected)
    {
        Assert.Equal(expected, Evaluate(expression));
    }

    [Fact]
    public void Long_chains_evaluate_without_deep_recursion_problems()
    {
        var expr = string.Join(" + ", Enumerable.Repeat("1", 150));
        Assert.Equal("150", Evaluate(expr));
    }

    private static string Evaluate(string expression)
    {
        var expr = CedarParser.ParseExpression(expression);
        var context = CedarRequest.Create("A::\"a\"", "A::\"a\"", "A::\"a\"", Context).Context;
        var env = new EvalEnv(new EntityUid("User", "alice"), new EntityUid("Action", "view"), new EntityUid("Photo", "p1"), context, Store.Value);
        try
        {
            return expr.Eval(env).ToString();
        }
        catch (CedarEvaluationException)
        {
            return "error";
        }
    }
}
