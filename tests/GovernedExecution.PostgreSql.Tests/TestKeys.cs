using GovernedExecution.Artifacts.Keys;

namespace GovernedExecution.PostgreSql.Tests;

/// <summary>A checkpoint key shared by tests that need any trusted key.</summary>
internal static class TestKeys
{
    internal static SigningKey Signing { get; } = SigningKey.Generate();

    internal static TrustedKey Trusted { get; } = Signing.ToTrustedKey();
}
