using System.Text;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Intents;
using GovernedExecution.Artifacts;
using GovernedExecution.Lineage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace GovernedExecution.AspNetCore.ConsoleUi;

/// <summary>
/// The proof viewer: an artifact (with its request) verified by <see cref="OfflineArtifactCheck"/>, the verification of
/// <c>govexec artifact verify</c>, against the configured trusted keys; a lineage proof checked by the proof verifier of
/// <c>govexec lineage check-proof</c>. Nothing uploaded is kept.
/// </summary>
internal static class ProofViewerPage
{
    /// <summary>Every check of the verifier, in the order it runs them (docs/artifact-format.md).</summary>
    private static readonly string[] AllChecks = ["structure", "headers", "algorithm", "key", "signature", "claims", "decision", "validity", "audience", "intent", "policy-set", "scope", "obligations", "replay"];

    private static readonly FormOptions Limits = new() { MultipartBodyLengthLimit = ConsoleEndpoints.MaxUploadBytes, ValueLengthLimit = (int)ConsoleEndpoints.MaxUploadBytes, ValueCountLimit = 16 };

    public static Task<ConsolePage> RenderFormAsync(ConsoleSources sources, string basePath) =>
        Task.FromResult(ConsolePage.Ok("Proof viewer", "verify", html => WriteForm(html, sources, basePath, sources.Audience, anyPolicySet: false)));

    public static async Task<ConsolePage> RenderResultAsync(HttpContext context, ConsoleSources sources, string basePath, CancellationToken cancellationToken)
    {
        if (context.Request.ContentLength > ConsoleEndpoints.MaxUploadBytes || !context.Request.HasFormContentType)
        {
            return ConsolePage.Error(StatusCodes.Status400BadRequest, "Nothing to verify", "Send the form of the proof viewer (at most 4 MiB).");
        }

        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(Limits, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
        {
            return ConsolePage.Error(StatusCodes.Status400BadRequest, "Nothing to verify", "The upload could not be read (at most 4 MiB).");
        }

        var artifact = await ReadBytesAsync(form, "artifact", "artifact-text", cancellationToken).ConfigureAwait(false);
        var requestJson = await ReadTextAsync(form, "request", "request-text", cancellationToken).ConfigureAwait(false);
        var proofJson = await ReadTextAsync(form, "proof", "proof-text", cancellationToken).ConfigureAwait(false);
        var audience = form["audience"].ToString() is { Length: > 0 } given ? given : sources.Audience;
        var anyPolicySet = form["policy-set"].ToString() == "any";
        var accepted = anyPolicySet ? null : form["policy-set-digest"].ToString() is { Length: > 0 } digest ? digest : sources.Policies?.PolicySetDigest;

        OfflineArtifactVerdict? verdict = null;
        string? verifyProblem = null;
        if (artifact is not null && requestJson is not null && audience is not null && sources.TrustedKeys is { } keys)
        {
            try
            {
                var intent = IntentJson.Parse(requestJson);
                verdict = await OfflineArtifactCheck.VerifyAsync(artifact, [], keys, intent, audience, accepted, sources.Time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or System.Text.Json.JsonException or InvalidOperationException)
            {
                verifyProblem = "The request is not a request JSON (docs/cli.md): " + ex.Message;
            }
        }
        else if (artifact is not null)
        {
            verifyProblem = sources.TrustedKeys is null ? "No trusted keys are configured: the artifact is decoded, not verified."
                : requestJson is null ? "Give the request JSON the artifact must authorize to verify it; it is decoded only."
                : "Give the audience (this runtime's) to verify it.";
        }

        string? proofError = null;
        if (proofJson is not null)
        {
            var trusted = sources.KnownKeys.Count == 0 ? null : sources.KnownKeys.GroupBy(k => k.KeyId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            proofError = CheckProof(proofJson, trusted);
            if (trusted is null && proofError is null)
            {
                proofError = null;
            }
        }

        return ConsolePage.Ok("Proof viewer", "verify", html =>
        {
            WriteForm(html, sources, basePath, audience, anyPolicySet);
            if (artifact is null && proofJson is null)
            {
                html.Element("p", "Give an artifact (.cose) or a lineage proof (.json).", ("class", "problem"), ("role", "alert"));
            }

            if (artifact is not null)
            {
                html.Open("section", ("id", "artifact-result"), ("aria-labelledby", "artifact-result-title"));
                html.Element("h2", "Artifact", ("id", "artifact-result-title"));
                if (verdict is { } v)
                {
                    WriteVerdict(html, v);
                }
                else
                {
                    html.Element("p", verifyProblem, ("class", "problem"), ("id", "verdict"), ("data-verdict", "NotVerified"));
                }

                ArtifactView.WriteDecoded(html, artifact);
                html.Close("section");
            }

            if (proofJson is not null)
            {
                html.Open("section", ("id", "proof-result"));
                html.Element("h2", "Lineage proof");
                var signatures = sources.KnownKeys.Count > 0;
                html.Element("p", proofError is null ? (signatures ? "Valid: the record is included in the signed checkpoint's tree, and the checkpoint's signature is trusted." : "Valid as a Merkle proof; the checkpoint signature was not checked (no trusted key).") : "Not valid: " + proofError,
                    ("class", proofError is null ? (signatures ? "verdict ok" : "verdict warn") : "verdict bad"), ("id", "proof-verdict"), ("data-valid", proofError is null ? "true" : "false"));
                html.Close("section");
            }
        });
    }

    /// <summary>The proof verifier of <c>govexec lineage check-proof</c>; an unreadable proof is an invalid one.</summary>
    private static string? CheckProof(string json, IReadOnlyDictionary<string, TrustedKey>? trusted)
    {
        try
        {
            return LineageProofs.Verify(json, trusted);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or ArgumentException or InvalidDataException or InvalidOperationException or KeyNotFoundException)
        {
            return "the proof file cannot be read (" + ex.GetType().Name + ")";
        }
    }

    private static void WriteVerdict(HtmlWriter html, OfflineArtifactVerdict verdict)
    {
        var result = verdict.Result;
        html.Open("p", ("id", "verdict"), ("class", "verdict " + (result.IsVerified ? "ok" : "bad")), ("data-verdict", result.Verdict.ToString()), ("role", "status"))
            .Element("strong", result.Verdict.ToString())
            .Text(result.IsVerified ? " against the trusted keys" : $" ({result.Reason}): {result.Detail}")
            .Close("p");
        html.Open("ol", ("class", "checks"), ("id", "checks"));
        // The verifier lists a check when it starts it: when the artifact is not verified, the last one listed is the one that failed.
        var failed = result.IsVerified || result.Checks.Count == 0 ? null : result.Checks[^1];
        foreach (var check in AllChecks)
        {
            var state = check == failed ? "failed"
                : verdict.Checks.Contains(check) ? "passed"
                : verdict.NotChecked.Any(n => n.StartsWith(check + ":", StringComparison.Ordinal)) ? "not checked here"
                : "not run";
            var css = state switch { "passed" => "ok", "failed" => "bad", _ => "neutral" };
            html.Open("li", ("class", css), ("data-check", check), ("data-state", state)).Element("span", check, ("class", "mono")).Text(" " + state);
            if (state == "failed")
            {
                html.Text(": " + result.Detail);
            }

            html.Close("li");
        }

        html.Close("ol");
        foreach (var note in verdict.NotChecked)
        {
            html.Element("p", note, ("class", "note"));
        }
    }

    private static void WriteForm(HtmlWriter html, ConsoleSources sources, string basePath, string? audience, bool anyPolicySet)
    {
        html.Element("h1", "Proof viewer");
        html.Element("p", "Drop an authorization artifact (.cose) and the request it must authorize: it is decoded and verified exactly as 'govexec artifact verify' does, against the trusted keys configured here. Or drop a lineage inclusion proof (from the explorer, or 'govexec lineage prove'). Nothing you send is kept.");
        html.OpenWithUrl("form", "action", ConsoleUrl.Under(basePath, "verify"), ("method", "post"), ("enctype", "multipart/form-data"), ("id", "verify-form"));
        html.Open("div", ("class", "dropzone"), ("data-drop", "artifact"))
            .Open("label").Text("Artifact (.cose)").Void("input", ("type", "file"), ("name", "artifact"), ("id", "artifact-file"), ("accept", ".cose,application/cose")).Close("label")
            .Open("label").Text("or paste it (base64 or hex)").TextArea(null, ("name", "artifact-text"), ("rows", "3"), ("spellcheck", "false")).Close("label")
            .Close("div");
        html.Open("div", ("class", "dropzone"), ("data-drop", "request"))
            .Open("label").Text("Request JSON (optional; needed to verify)").Void("input", ("type", "file"), ("name", "request"), ("id", "request-file"), ("accept", ".json,application/json")).Close("label")
            .Open("label").Text("or paste it").TextArea(null, ("name", "request-text"), ("rows", "4"), ("spellcheck", "false")).Close("label")
            .Close("div");
        html.Open("div", ("class", "row"))
            .Open("label").Text("Audience").Void("input", ("type", "text"), ("name", "audience"), ("value", audience)).Close("label")
            .Open("label").Text("Policy set").Open("select", ("name", "policy-set"))
            .Element("option", sources.Policies is null ? "the digest below" : "the policy set in force", ("value", "current"), ("selected", anyPolicySet ? null : "selected"))
            .Element("option", "any policy set (not checked)", ("value", "any"), ("selected", anyPolicySet ? "selected" : null))
            .Close("select").Close("label")
            .Open("label").Text("Policy-set digest").Void("input", ("type", "text"), ("name", "policy-set-digest"), ("value", sources.Policies?.PolicySetDigest), ("class", "mono")).Close("label")
            .Close("div");
        html.Open("div", ("class", "dropzone"), ("data-drop", "proof"))
            .Open("label").Text("Lineage proof (.json)").Void("input", ("type", "file"), ("name", "proof"), ("id", "proof-file"), ("accept", ".json,application/json")).Close("label")
            .Close("div");
        html.Element("button", "Verify", ("type", "submit"), ("id", "verify-button"));
        html.Close("form");
        html.Element("p", sources.TrustedKeys is null ? "No trusted keys are configured: artifacts are decoded, not verified." : $"Trusted keys: {(sources.KnownKeys.Count == 0 ? "the executor's key store" : string.Join(", ", sources.KnownKeys.Select(k => k.KeyId)))}.", ("class", "note"));
    }

    private static async Task<byte[]?> ReadBytesAsync(IFormCollection form, string fileField, string textField, CancellationToken cancellationToken)
    {
        if (form.Files.GetFile(fileField) is { Length: > 0 } file)
        {
            using var stream = file.OpenReadStream();
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            return copy.ToArray();
        }

        var text = form[textField].ToString().Trim();
        if (text.Length == 0)
        {
            return null;
        }

        try
        {
            return text.All(Uri.IsHexDigit) && text.Length % 2 == 0 ? Convert.FromHexString(text) : Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return Encoding.UTF8.GetBytes(text); // not an encoding of bytes: decoding will say it is not an artifact
        }
    }

    private static async Task<string?> ReadTextAsync(IFormCollection form, string fileField, string textField, CancellationToken cancellationToken)
    {
        if (form.Files.GetFile(fileField) is { Length: > 0 } file)
        {
            using var reader = new StreamReader(file.OpenReadStream(), Encoding.UTF8);
            return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }

        return form[textField].ToString() is { Length: > 0 } text && !string.IsNullOrWhiteSpace(text) ? text : null;
    }
}
