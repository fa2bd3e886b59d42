using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Execution;
using GovernedExecution.Testing;
using Microsoft.Extensions.Logging;

namespace GovernedExecution.Tests.Artifacts.Keys;

public sealed class KeyLoadingTests
{
    // RFC 7638 section 3.1: the example RSA key and its thumbprint.
    private const string Rfc7638Modulus = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    private const string Rfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    [Fact]
    public void Default_key_id_is_the_RFC_7638_thumbprint_of_the_RFC_example()
    {
        using var key = TrustedKey.FromJwk($$"""{"kty":"RSA","n":"{{Rfc7638Modulus}}","e":"AQAB"}""");
        using var rsa = RSA.Create(new RSAParameters { Modulus = Base64Url.DecodeFromChars(Rfc7638Modulus), Exponent = [1, 0, 1] });

        Assert.Equal(Rfc7638Thumbprint, key.KeyId);
        Assert.Equal(Rfc7638Thumbprint, KeyMaterial.Thumbprint(rsa));
        Assert.Equal(ArtifactAlgorithm.PS256, key.Algorithm);
    }

    [Theory]
    [InlineData(ArtifactAlgorithm.ES256)]
    [InlineData(ArtifactAlgorithm.ES384)]
    [InlineData(ArtifactAlgorithm.ES512)]
    [InlineData(ArtifactAlgorithm.PS256)]
    public void Private_and_public_JWKs_round_trip_and_sign_what_the_other_verifies(ArtifactAlgorithm algorithm)
    {
        using var original = SigningKey.Generate(algorithm);
        using var signer = SigningKey.FromJwk(Jwk(original.Key, includePrivate: true));
        using var trusted = TrustedKey.FromJwk(Jwk(original.Key, includePrivate: false));

        Assert.Equal(original.KeyId, signer.KeyId);
        Assert.Equal(original.KeyId, trusted.KeyId);
        Assert.Equal(algorithm, trusted.Algorithm);
        var signed = CoseArtifactIssuer.Sign(signer, [0xA0]);
        Assert.Null(CoseSign1Layer.Check(signed, trusted.Key));
    }

    [Fact]
    public void Trusting_a_private_JWK_keeps_only_the_public_half()
    {
        using var original = SigningKey.Generate();
        using var trusted = TrustedKey.FromJwk(Jwk(original.Key, includePrivate: true));

        Assert.Throws<CryptographicException>(() => ((ECDsa)trusted.Key).ExportParameters(includePrivateParameters: true));
    }

    [Theory]
    [InlineData("""{"kty":"EC","crv":"P-256","alg":"ES384"}""", "ES384")]
    [InlineData("""{"kty":"EC","crv":"P-256","alg":"ES256K"}""", "ES256K")]
    [InlineData("""{"kty":"EC","crv":"P-256","use":"enc"}""", "enc")]
    [InlineData("""{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}""", "OKP")]
    [InlineData("""{"kty":"EC","crv":"secp256k1"}""", "secp256k1")]
    [InlineData("""{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}""", "32 bytes")]
    public void Unsupported_or_mislabelled_JWKs_are_refused(string template, string mentioned)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = ec.ExportParameters(false);
        var json = template.Contains("\"x\"", StringComparison.Ordinal) ? template
            : template.TrimEnd('}') + $",\"x\":\"{Base64Url.EncodeToString(p.Q.X)}\",\"y\":\"{Base64Url.EncodeToString(p.Q.Y)}\"}}";

        var ex = Assert.Throws<ArgumentException>(() => TrustedKey.FromJwk(json));
        Assert.Contains(mentioned, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotation_trusts_the_old_and_the_new_key_during_the_overlap_and_only_the_new_one_after()
    {
        var start = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(start);
        using var oldKey = SigningKey.Generate();
        using var newKey = SigningKey.Generate();
        using var oldPublic = oldKey.ToTrustedKey();
        using var newPublic = newKey.ToTrustedKey();
        using var retiring = oldPublic.WithValidity(null, start.AddHours(1));
        using var arriving = newPublic.WithValidity(start.AddMinutes(30), null);
        var worker = new GovernedExecution.DependencyInjection.GovernedExecutorBuilder()
            .Configure(o => { o.Audience = "worker"; o.VerifyOnly = true; })
            .UseTrustedKeys(retiring, arriving)
            .UseTimeProvider(time)
            .AddLineageSink(new GovernedExecution.Lineage.InMemoryLineageSink())
            .Build();
        var intent = GovernedTestHost.Intent("read");

        async Task<DenialReason?> RunWithAsync(SigningKey key)
        {
            var issuer = new GovernedExecution.DependencyInjection.GovernedExecutorBuilder()
                .Configure(o => o.Audience = "worker")
                .UsePolicies(GovernedTestHost.DefaultPolicies())
                .UseSigningKey(key)
                .UseTrustedKeys(key.ToTrustedKey())
                .UseTimeProvider(time)
                .AllowExecutionsWithoutRequiredLineage() // it only mints, for the worker above
                .Build();
            var artifact = (await issuer.IssueAsync(intent, "worker")).Artifact!;
            var outcome = await worker.RunOutcomeAsync(intent, artifact, 0, (s, ctx, ct) => ValueTask.FromResult(s));
            return outcome.Denial?.Reason;
        }

        Assert.Null(await RunWithAsync(oldKey));
        Assert.Equal(DenialReason.UntrustedKey, await RunWithAsync(newKey)); // not yet
        time.Advance(TimeSpan.FromMinutes(45));
        Assert.Null(await RunWithAsync(oldKey));
        Assert.Null(await RunWithAsync(newKey));
        time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(DenialReason.UntrustedKey, await RunWithAsync(oldKey)); // retired
        Assert.Null(await RunWithAsync(newKey));
    }

    [Fact]
    public void A_public_JWK_cannot_sign()
    {
        using var original = SigningKey.Generate();

        Assert.Throws<ArgumentException>(() => SigningKey.FromJwk(Jwk(original.Key, includePrivate: false)));
    }

    [Fact]
    public async Task JWK_Set_trusts_several_keys_at_once_and_revocation_removes_only_one()
    {
        using var current = SigningKey.Generate();
        using var next = SigningKey.Generate(ArtifactAlgorithm.ES384);
        var set = $$"""{"keys":[{{Jwk(current.Key, false)}},{{Jwk(next.Key, false)}}]}""";
        var keys = TrustedKey.FromJwkSet(set);
        var store = new InMemoryTrustedKeyStore(keys);

        Assert.Equal(2, store.Count);
        Assert.NotNull(await store.FindAsync(current.KeyId, default));
        Assert.NotNull(await store.FindAsync(next.KeyId, default));
        store.Revoke(current.KeyId);
        Assert.Null(await store.FindAsync(current.KeyId, default));
        Assert.NotNull(await store.FindAsync(next.KeyId, default));
        foreach (var key in keys)
        {
            key.Dispose();
        }
    }

    [Fact]
    public async Task A_revoked_key_id_stays_revoked_when_the_key_is_added_again()
    {
        using var key = SigningKey.Generate();
        var store = new InMemoryTrustedKeyStore();
        store.Revoke(key.KeyId);
        store.Add(key.ToTrustedKey());

        Assert.Null(await store.FindAsync(key.KeyId, default));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void X509_certificate_in_PEM_or_DER_gives_its_public_key_for_its_validity_period(bool der)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = new CertificateRequest("CN=artifact-issuer", ec, HashAlgorithmName.SHA384);
        var notBefore = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var certificate = request.CreateSelfSigned(notBefore, notBefore.AddYears(1));
        byte[] encoded = der ? certificate.Export(X509ContentType.Cert) : System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem());

        using var trusted = TrustedKey.FromCertificate(encoded);

        Assert.Equal(KeyMaterial.Thumbprint(ec), trusted.KeyId);
        Assert.Equal(ArtifactAlgorithm.ES384, trusted.Algorithm);
        Assert.Equal(notBefore, trusted.NotBefore);
        Assert.Equal(notBefore.AddYears(1), trusted.NotAfter);
        Assert.False(trusted.IsValidAt(notBefore.AddYears(2)));
    }

    [Fact]
    public void RSA_certificate_is_pinned_to_PS256()
    {
        using var rsa = RSA.Create(2048);
        using var certificate = new CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pss)
            .CreateSelfSigned(DateTimeOffset.UnixEpoch.AddYears(56), DateTimeOffset.UnixEpoch.AddYears(57));

        using var trusted = TrustedKey.FromCertificate(certificate);

        Assert.Equal(ArtifactAlgorithm.PS256, trusted.Algorithm);
        Assert.Throws<ArgumentException>(() => TrustedKey.FromCertificate("not a certificate"u8));
    }

    [Theory]
    [InlineData(ArtifactAlgorithm.ES256)]
    [InlineData(ArtifactAlgorithm.PS256)]
    public void PKCS8_and_SPKI_PEM_round_trip(ArtifactAlgorithm algorithm)
    {
        using var original = SigningKey.Generate(algorithm);
        using var loaded = SigningKey.FromPem(original.ExportPrivateKeyPem());
        using var trusted = TrustedKey.FromPem(original.ToTrustedKey().ExportPublicKeyPem());

        Assert.Equal(original.KeyId, loaded.KeyId);
        Assert.Equal(original.KeyId, trusted.KeyId);
        Assert.Null(CoseSign1Layer.Check(CoseArtifactIssuer.Sign(loaded, [0xA0]), trusted.Key));
    }

    [Fact]
    public void ToString_shows_the_key_id_and_algorithm_and_never_key_material()
    {
        using var key = SigningKey.Generate();
        using var trusted = key.ToTrustedKey();
        var p = ((ECDsa)key.Key).ExportParameters(true);
        var secrets = new[] { Base64Url.EncodeToString(p.D), Convert.ToBase64String(p.D!), Convert.ToHexString(p.D!), Base64Url.EncodeToString(p.Q.X) };

        foreach (var text in new[] { key.ToString(), trusted.ToString() })
        {
            Assert.Contains(key.KeyId, text, StringComparison.Ordinal);
            Assert.Contains("ES256", text, StringComparison.Ordinal);
            Assert.DoesNotContain(secrets, s => text.Contains(s, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain("BEGIN", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Logs_of_allowed_and_denied_executions_never_hold_key_material()
    {
        var logs = new CapturingLoggerFactory();
        using var host = new GovernedTestHost(b => b.UseLoggerFactory(logs).AddLineageSink(new FaultyLineageSink(FaultKind.Throws), GovernedExecution.Lineage.LineageSinkMode.BestEffort));
        await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("read"), (ctx, ct) => ValueTask.FromResult(1));
        await host.Executor.RunOutcomeAsync(GovernedTestHost.Intent("delete"), (ctx, ct) => ValueTask.FromResult(1));
        var p = ((ECDsa)host.SigningKey.Key).ExportParameters(true);
        var pem = host.SigningKey.ExportPrivateKeyPem().Split('\n')[1];

        Assert.NotEmpty(logs.Lines);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(Base64Url.EncodeToString(p.D), StringComparison.Ordinal) || l.Contains(pem, StringComparison.Ordinal)
            || l.Contains(Convert.ToHexString(p.D!), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Disposed_keys_refuse_use_and_a_disposed_trusted_key_cannot_verify()
    {
        using var host = new GovernedTestHost();
        var trusted = host.SigningKey.ToTrustedKey();
        var worker = new GovernedExecution.DependencyInjection.GovernedExecutorBuilder()
            .Configure(o => { o.Audience = GovernedTestHost.Audience; o.VerifyOnly = true; })
            .UseTrustedKeys(trusted).UseTimeProvider(host.Time).AddLineageSink(new GovernedExecution.Lineage.InMemoryLineageSink()).Build();
        var intent = GovernedTestHost.Intent("read");
        var artifact = (await host.Executor.IssueAsync(intent)).Artifact!;
        trusted.Dispose();
        var ran = false;

        var outcome = await worker.RunOutcomeAsync(intent, artifact, 0, (s, ctx, ct) => { ran = true; return ValueTask.FromResult(s); });

        Assert.False(ran);
        Assert.Equal(DenialReason.KeyUnavailable, outcome.Denial!.Reason);
        Assert.Throws<ObjectDisposedException>(() => trusted.ExportPublicKeyPem());
        host.SigningKey.Dispose();
        Assert.Throws<ObjectDisposedException>(() => host.SigningKey.ExportPrivateKeyPem());
    }

    internal static string Jwk(AsymmetricAlgorithm key, bool includePrivate)
    {
        var members = new SortedDictionary<string, string>(StringComparer.Ordinal);
        switch (key)
        {
            case ECDsa ec:
                var p = ec.ExportParameters(includePrivate);
                members["kty"] = "EC";
                members["crv"] = ec.KeySize switch { 256 => "P-256", 384 => "P-384", _ => "P-521" };
                members["x"] = Base64Url.EncodeToString(p.Q.X);
                members["y"] = Base64Url.EncodeToString(p.Q.Y);
                if (includePrivate)
                {
                    members["d"] = Base64Url.EncodeToString(p.D);
                }

                break;
            case RSA rsa:
                var r = rsa.ExportParameters(includePrivate);
                members["kty"] = "RSA";
                members["n"] = Base64Url.EncodeToString(r.Modulus);
                members["e"] = Base64Url.EncodeToString(r.Exponent);
                if (includePrivate)
                {
                    members["d"] = Base64Url.EncodeToString(r.D);
                    members["p"] = Base64Url.EncodeToString(r.P);
                    members["q"] = Base64Url.EncodeToString(r.Q);
                    members["dp"] = Base64Url.EncodeToString(r.DP);
                    members["dq"] = Base64Url.EncodeToString(r.DQ);
                    members["qi"] = Base64Url.EncodeToString(r.InverseQ);
                }

                break;
        }

        return JsonSerializer.Serialize(members);
    }

    private sealed class CapturingLoggerFactory : ILoggerFactory, ILogger
    {
        public List<string> Lines { get; } = [];

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(formatter(state, exception) + " " + exception);
            }
        }
    }
}
