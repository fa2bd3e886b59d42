using System.Globalization;
using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using Microsoft.Extensions.Configuration;

namespace GovernedExecution.DependencyInjection;

/// <summary>
/// Reads <see cref="GovernedExecutionOptions"/> from a configuration section, exactly: every key must be an option
/// (a typo is an error, not a default silently kept), every value must convert (a time span is written
/// <c>hh:mm:ss</c>, a flag <c>true</c> or <c>false</c>, an algorithm by its exact name), and a list of algorithms
/// replaces the default set. No reflection: the binder is safe under trimming and native AOT.
/// </summary>
internal static class GovernedExecutionOptionsBinder
{
    internal static List<string> Bind(IConfiguration section, GovernedExecutionOptions options)
    {
        var errors = new List<string>();
        foreach (var child in section.GetChildren())
        {
            switch (child.Key.ToUpperInvariant())
            {
                case "AUDIENCE":
                    options.Audience = Text(child, errors) ?? options.Audience;
                    break;
                case "ISSUER":
                    options.Issuer = Text(child, errors) ?? options.Issuer;
                    break;
                case "VERIFYONLY":
                    options.VerifyOnly = Flag(child, errors) ?? options.VerifyOnly;
                    break;
                case "ARTIFACTLIFETIME":
                    options.ArtifactLifetime = Duration(child, errors) ?? options.ArtifactLifetime;
                    break;
                case "MAXARTIFACTLIFETIME":
                    options.MaxArtifactLifetime = Duration(child, errors) ?? options.MaxArtifactLifetime;
                    break;
                case "CLOCKSKEW":
                    options.ClockSkew = Duration(child, errors) ?? options.ClockSkew;
                    break;
                case "DEPENDENCYTIMEOUT":
                    options.DependencyTimeout = Duration(child, errors) ?? options.DependencyTimeout;
                    break;
                case "APPROVALTIMEOUT":
                    options.ApprovalTimeout = Duration(child, errors) ?? options.ApprovalTimeout;
                    break;
                case "ENSUREAUTHORIZEDEVALUATESPOLICY":
                    options.EnsureAuthorizedEvaluatesPolicy = Flag(child, errors) ?? options.EnsureAuthorizedEvaluatesPolicy;
                    break;
                case "ARTIFACTSIGNING":
                    switch (Text(child, errors))
                    {
                        case null:
                            break;
                        case nameof(ArtifactSigningMode.PerArtifact):
                            options.ArtifactSigning = ArtifactSigningMode.PerArtifact;
                            break;
                        case nameof(ArtifactSigningMode.Batched):
                            options.ArtifactSigning = ArtifactSigningMode.Batched;
                            break;
                        default:
                            errors.Add($"Configuration key '{child.Path}' must be PerArtifact or Batched (exactly).");
                            break;
                    }

                    break;
                case "ALLOWEDALGORITHMS":
                    Algorithms(child, options, errors);
                    break;
                case "LINEAGE":
                    foreach (var item in child.GetChildren())
                    {
                        if (item.Key.Equals("RecordEntities", StringComparison.OrdinalIgnoreCase))
                        {
                            options.Lineage.RecordEntities = Flag(item, errors) ?? options.Lineage.RecordEntities;
                        }
                        else
                        {
                            errors.Add($"Configuration key '{item.Path}' is not an option of governed execution (a typo?). The lineage options are RecordEntities.");
                        }
                    }

                    break;
                default:
                    errors.Add($"Configuration key '{child.Path}' is not an option of governed execution (a typo?). The options are Audience, Issuer, VerifyOnly, ArtifactLifetime, MaxArtifactLifetime, ClockSkew, DependencyTimeout, ApprovalTimeout, EnsureAuthorizedEvaluatesPolicy, ArtifactSigning, AllowedAlgorithms and Lineage:RecordEntities.");
                    break;
            }
        }

        return errors;
    }

    private static string? Text(IConfigurationSection child, List<string> errors)
    {
        if (child.GetChildren().Any())
        {
            errors.Add($"Configuration key '{child.Path}' must be a value, not a section.");
            return null;
        }

        return child.Value;
    }

    private static bool? Flag(IConfigurationSection child, List<string> errors)
    {
        var text = Text(child, errors);
        if (text is null)
        {
            return null;
        }

        if (!bool.TryParse(text, out var value))
        {
            errors.Add($"Configuration key '{child.Path}' must be true or false.");
            return null;
        }

        return value;
    }

    private static TimeSpan? Duration(IConfigurationSection child, List<string> errors)
    {
        var text = Text(child, errors);
        if (text is null)
        {
            return null;
        }

        // hh:mm:ss (with optional days and fractions); a bare number would read as days, so it is refused.
        if (!text.Contains(':', StringComparison.Ordinal) || !TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value))
        {
            errors.Add($"Configuration key '{child.Path}' must be a time span written hh:mm:ss (for example 00:00:30).");
            return null;
        }

        return value;
    }

    private static void Algorithms(IConfigurationSection child, GovernedExecutionOptions options, List<string> errors)
    {
        var items = child.GetChildren().ToList();
        var values = items.Count == 0 ? [(child.Path, child.Value)] : items.Select(i => (i.Path, i.Value)).ToList();
        var allowed = new List<ArtifactAlgorithm>();
        foreach (var (path, text) in values)
        {
            if (text is null || !IsAlgorithmName(text, out var algorithm))
            {
                errors.Add($"Configuration key '{path}' must name an algorithm exactly: ES256, ES384, ES512 or PS256.");
                continue;
            }

            allowed.Add(algorithm);
        }

        if (errors.Count == 0)
        {
            options.AllowedAlgorithms.Clear();
            options.AllowedAlgorithms.UnionWith(allowed);
        }
    }

    private static bool IsAlgorithmName(string text, out ArtifactAlgorithm algorithm)
    {
        foreach (var candidate in Enum.GetValues<ArtifactAlgorithm>())
        {
            if (string.Equals(candidate.ToString(), text, StringComparison.Ordinal))
            {
                algorithm = candidate;
                return true;
            }
        }

        algorithm = default;
        return false;
    }
}
