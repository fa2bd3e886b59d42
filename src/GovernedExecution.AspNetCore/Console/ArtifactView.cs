using System.Globalization;
using GovernedExecution.Artifacts;
using GovernedExecution.Policies;

namespace GovernedExecution.AspNetCore.ConsoleUi;

/// <summary>An artifact decoded for people: its protected header and its claims (decoded only; the verdict is elsewhere).</summary>
internal static class ArtifactView
{
    public static void WriteRecorded(HtmlWriter html, string? digest, byte[]? encoded)
    {
        if (digest is null && encoded is null)
        {
            html.Element("p", "No artifact was recorded for this execution (denied before one was minted, or a dry run).");
            return;
        }

        if (digest is not null)
        {
            html.Open("p").Text("Artifact digest ").Element("span", digest, ("class", "mono"), ("id", "artifact-digest")).Close("p");
        }

        if (encoded is null)
        {
            html.Element("p", "The lineage keeps the artifact's digest, not its bytes: drop the .cose file in the proof viewer to decode and verify it against this digest.", ("class", "note"));
            return;
        }

        WriteDecoded(html, encoded);
    }

    /// <summary>Writes the headers and claims, or why they cannot be read.</summary>
    public static ArtifactClaims? WriteDecoded(HtmlWriter html, byte[] encoded)
    {
        if (!CoseSign1Layer.TryDecode(encoded, out var message, out var problem))
        {
            html.Element("p", "Not a COSE_Sign1 artifact: " + problem, ("class", "problem"), ("id", "decode-problem"));
            return null;
        }

        var headersOk = CoseArtifactVerifier.TryReadHeaders(message, out var keyId, out var headerProblem);
        var algorithmOk = CoseSign1Layer.TryReadAlgorithm(message, out var algorithm, out var algorithmProblem);
        html.Element("h3", "Protected header");
        html.Open("dl", ("class", "facts"), ("id", "headers"));
        html.Element("dt", "Algorithm").Element("dd", algorithmOk ? algorithm.ToString() : "unreadable: " + algorithmProblem);
        html.Element("dt", "Key id").Element("dd", headersOk ? keyId : "unreadable: " + headerProblem, ("class", "mono"));
        html.Element("dt", "Content type").Element("dd", headersOk ? ArtifactFormat.ContentType : "unreadable");
        html.Element("dt", "Digest").Element("dd", AuthorizationArtifact.FromBytes(encoded).ComputeDigest(), ("class", "mono"));
        html.Close("dl");
        var claims = message.Content is { } content ? CoseArtifactVerifier.TryDecodeClaims(content, keyId, algorithm) : null;
        html.Element("h3", "Claims");
        if (claims is null)
        {
            html.Element("p", "The payload is not a valid claims map.", ("class", "problem"));
            return null;
        }

        html.Open("dl", ("class", "facts"), ("id", "claims"));
        Claim(html, "Issuer (iss)", claims.Issuer);
        Claim(html, "Subject (sub)", claims.Subject);
        Claim(html, "Audience (aud)", claims.Audience);
        Claim(html, "Issued at (iat)", Time(claims.IssuedAt));
        Claim(html, "Not before (nbf)", Time(claims.NotBefore));
        Claim(html, "Expires (exp)", Time(claims.ExpiresAt));
        Claim(html, "Token id (cti)", claims.TokenId.ToString("D"));
        Claim(html, "Decision", claims.Decision.ToString());
        Claim(html, "Intent digest", Convert.ToHexStringLower(claims.IntentDigest.Span));
        Claim(html, "Policy set", claims.PolicySetDigest);
        Claim(html, "Determining policies", string.Join(", ", claims.DeterminingPolicies));
        Claim(html, "Obligations", claims.Obligations.Count == 0 ? "none" : string.Join("; ", claims.Obligations.Select(Obligation)));
        if (!claims.ParentArtifactDigest.IsEmpty)
        {
            Claim(html, "Parent artifact", Convert.ToHexStringLower(claims.ParentArtifactDigest.Span));
        }

        if (claims.Scope is { } scope)
        {
            Claim(html, "Delegation scope", scope.ToString());
        }

        if (claims.Approvals.Count > 0)
        {
            Claim(html, "Approvals", claims.Approvals.Count.ToString(CultureInfo.InvariantCulture));
        }

        html.Close("dl");
        return claims;
    }

    private static string Obligation(PolicyObligation obligation) => $"{obligation.Name} = {obligation.Value} (from {obligation.PolicyId})";

    private static string Time(DateTimeOffset time) => time.ToString("u", CultureInfo.InvariantCulture);

    private static void Claim(HtmlWriter html, string name, string value) => html.Element("dt", name).Element("dd", value);
}
