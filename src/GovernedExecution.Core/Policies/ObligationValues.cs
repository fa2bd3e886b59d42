using System.Globalization;

namespace GovernedExecution.Policies;

/// <summary>Parses obligation values.</summary>
internal static class ObligationValues
{
    /// <summary>
    /// Parses a duration such as <c>30s</c>, <c>5m</c>, <c>2h</c> or <c>1500ms</c>; false (never an exception) for
    /// anything else, including a duration too long for a <see cref="TimeSpan"/>.
    /// </summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var (digits, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], "ms")
            : text.Length > 1 ? (text[..^1], text[^1..]) : (string.Empty, string.Empty);
        if (digits.Length == 0 || digits.Length > 9 || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        long ticksPerUnit = unit switch
        {
            "ms" => TimeSpan.TicksPerMillisecond,
            "s" => TimeSpan.TicksPerSecond,
            "m" => TimeSpan.TicksPerMinute,
            "h" => TimeSpan.TicksPerHour,
            _ => 0,
        };
        if (ticksPerUnit == 0 || value > TimeSpan.MaxValue.Ticks / ticksPerUnit)
        {
            return false;
        }

        duration = TimeSpan.FromTicks(value * ticksPerUnit);
        return true;
    }
}
