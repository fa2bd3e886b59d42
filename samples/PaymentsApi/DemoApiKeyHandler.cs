using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace PaymentsApi;

/// <summary>
/// A development-only authentication scheme: the header <c>X-Api-Key: demo-support-bot</c> authenticates the user
/// whose name identifier is <c>support-bot</c> (the principal <c>User::"support-bot"</c> for the policies). A real
/// deployment uses its own scheme (JWT bearer, certificates, ...); governance only reads <c>HttpContext.User</c>.
/// <c>X-Api-Key: demo-auditor</c> authenticates <c>auditor</c>, in the role that may open the governance console.
/// </summary>
internal sealed class DemoApiKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "DemoApiKey";

    public const string HeaderName = "X-Api-Key";

    private static readonly Dictionary<string, string> Users = new(StringComparer.Ordinal) { ["demo-support-bot"] = "support-bot", ["demo-auditor"] = "auditor" };

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var keys))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (keys.Count != 1 || !Users.TryGetValue(keys[0] ?? string.Empty, out var user))
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }

        Claim[] claims = user == "auditor" ? [new(ClaimTypes.NameIdentifier, user), new(ClaimTypes.Role, "auditor")] : [new(ClaimTypes.NameIdentifier, user)];
        var identity = new ClaimsIdentity(claims, SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }
}
