using System.Security.Cryptography;
using System.Text.Json;
using GovernedExecution.Artifacts.Keys;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>Loads a vector's JWK as a bare key, ignoring its <c>alg</c>: the signature layer decides what fits.</summary>
internal static class JsonWebKeysForTests
{
    public static AsymmetricAlgorithm Public(string json)
    {
        using var document = JsonDocument.Parse(json);
        var members = document.RootElement.EnumerateObject()
            .Where(p => p.Name is not ("alg" or "d" or "p" or "q" or "dp" or "dq" or "qi" or "use" or "key_ops"))
            .ToDictionary(p => p.Name, p => p.Value.GetString());
        return JsonWebKeys.ParseKey(JsonSerializer.Serialize(members), requirePrivate: false).Key;
    }
}
