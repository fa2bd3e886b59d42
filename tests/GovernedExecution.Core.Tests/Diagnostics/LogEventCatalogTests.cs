using System.Reflection;
using System.Text.RegularExpressions;
using GovernedExecution.Diagnostics;
using GovernedExecution.Testing;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.Tests.Diagnostics;

/// <summary>The log event ids listed in docs/operations.md are exactly those the code defines.</summary>
public sealed partial class LogEventCatalogTests
{
    [Fact]
    public void Every_documented_event_id_is_defined_and_every_defined_one_is_documented()
    {
        var documented = DocumentedEventIds();
        var defined = DefinedEventIds();

        Assert.NotEmpty(defined);
        Assert.True(defined.Except(documented).Order().ToArray() is { Length: 0 }, "defined but not in docs/operations.md: " + string.Join(", ", defined.Except(documented).Order()));
        Assert.True(documented.Except(defined).Order().ToArray() is { Length: 0 }, "in docs/operations.md but not defined: " + string.Join(", ", documented.Except(defined).Order()));
    }

    [Fact]
    public void No_two_log_methods_share_an_event_id()
    {
        var ids = LogMethods().Select(m => m.GetCustomAttribute<LoggerMessageAttribute>()!.EventId).ToArray();

        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    private static MethodInfo[] LogMethods() =>
        [.. typeof(Log).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public).Where(m => m.GetCustomAttribute<LoggerMessageAttribute>() is not null)];

    private static HashSet<int> DefinedEventIds() => [.. LogMethods().Select(m => m.GetCustomAttribute<LoggerMessageAttribute>()!.EventId)];

    /// <summary>The ids in the paragraph of docs/operations.md that starts "Logs (event ids):", up to the next blank line.</summary>
    private static HashSet<int> DocumentedEventIds()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.RepositoryRoot, "docs", "operations.md"));
        var start = Array.FindIndex(lines, l => l.StartsWith("Logs (event ids):", StringComparison.Ordinal));
        Assert.True(start >= 0, "docs/operations.md has no paragraph starting \"Logs (event ids):\"");
        var paragraph = string.Join(" ", lines.Skip(start).TakeWhile(l => l.Trim().Length > 0));
        return [.. EventId().Matches(paragraph).Select(m => int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture))];
    }

    [GeneratedRegex(@"(?<![\w.])1\d{3}(?![\w.])")]
    private static partial Regex EventId();
}
