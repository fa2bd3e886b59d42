using System.Security.Cryptography;
using System.Text.Json;

namespace GovernedExecution.Cli.Commands;

/// <summary>
/// Reads key files for the role an option gives them: a private key is never taken where a public one is expected
/// (<c>--trust</c>: it would mean the auditor holds, and may pass on, the signing key), nor a public key where a
/// private one is (<c>--key</c>: nothing could be signed with it).
/// </summary>
internal static class KeyFiles
{
    /// <summary>Reads a file given as a public key (PEM, certificate or JWK).</summary>
    /// <exception cref="ArgumentException">The file holds a private key.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    internal static string ReadPublic(string path, string option)
    {
        var text = File.ReadAllText(path);
        RefusePrivate(text, path, option);
        return text;
    }

    /// <summary>Refuses the text of a file given as a public key when it holds a private key.</summary>
    /// <exception cref="ArgumentException">The text holds a private key.</exception>
    internal static void RefusePrivate(string text, string path, string option)
    {
        if (HoldsPrivateKey(text))
        {
            throw new ArgumentException($"{path} holds a private key: {option} takes a public key (NAME.pub.pem from 'govexec keys generate'); keep the private key with its signer");
        }
    }

    /// <summary>Reads a file given as a private key (PKCS#8 PEM).</summary>
    /// <exception cref="ArgumentException">The file holds a public key or a certificate, not a private key.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    internal static string ReadPrivate(string path, string option)
    {
        var text = File.ReadAllText(path);
        if (!HoldsPrivateKey(text) && Labels(text).Any())
        {
            throw new ArgumentException($"{path} holds a public key or a certificate: {option} takes the private key (NAME.key.pem from 'govexec keys generate')");
        }

        return text;
    }

    private static bool HoldsPrivateKey(string text)
    {
        if (Labels(text).Any(label => label.Contains("PRIVATE KEY", StringComparison.Ordinal)))
        {
            return true;
        }

        // A JWK or JWK Set with the private member "d" (EC and RSA alike).
        if (!text.TrimStart().StartsWith('{'))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
            var root = document.RootElement;
            var keys = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("keys", out var set) && set.ValueKind == JsonValueKind.Array
                ? set.EnumerateArray().ToArray()
                : [root];
            return keys.Any(k => k.ValueKind == JsonValueKind.Object && k.TryGetProperty("d", out _));
        }
        catch (JsonException)
        {
            return false; // not a JWK: the loader reports it
        }
    }

    private static IEnumerable<string> Labels(string text)
    {
        var rest = text.AsMemory();
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            yield return rest.Span[fields.Label].ToString();
            rest = rest[fields.Location.End..];
        }
    }
}
