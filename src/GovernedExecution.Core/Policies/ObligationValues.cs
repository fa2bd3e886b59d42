using System.Globalization;

namespace GovernedExecution.Policies;

/// <summary>Parses obligation values.</summary>
internal static class ObligationValues
{
    /// <summary>Parses a duration such as <c>30s</c>, <c>5m</c>, <c>2h</c> or <c>1500ms</c>.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var (digits, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], "ms")
            : text.Length > 1 ? (text[..^1], text[^1..]) : (string.Empty, string.Empty);
        if (digits.Length == 0 || digits.Length > 9 || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        switch (unit)
        {
            case "ms": duration = TimeSpan.FromMilliseconds(value); return true;
            case "s": duration = TimeSpan.FromSeconds(value); return true;
            case "m": duration = TimeSpan.FromMinutes(value); return true;
            case "h": duration = TimeSpan.FromHours(value); return true;
            default: return false;
        }
    }
}
