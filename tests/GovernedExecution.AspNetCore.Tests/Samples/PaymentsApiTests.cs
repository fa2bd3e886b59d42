using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GovernedExecution.AspNetCore.Tests.Samples;

/// <summary>The PaymentsApi sample end to end: its three answers, and a lineage that verifies after shutdown.</summary>
public sealed class PaymentsApiTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("payments-api-").FullName;

    private string LineagePath => Path.Combine(_folder, "lineage", "payments.jsonl");

    private WebApplicationFactory<Program> Factory() => new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
        .UseSetting("PaymentsApi:KeysDirectory", Path.Combine(_folder, "keys"))
        .UseSetting("PaymentsApi:LineagePath", LineagePath));

    private static HttpRequestMessage Refund(string body, string? apiKey = "demo-support-bot")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/refunds") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }

        return request;
    }

    [Fact]
    public async Task Permitted_refund_is_200_with_its_execution_id_and_the_lineage_verifies_after_shutdown()
    {
        Guid executionId;
        await using (var factory = Factory())
        {
            using var client = factory.CreateClient();
            var response = await client.SendAsync(Refund("""{"orderId":"o-1","amount":40}"""));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            executionId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("executionId").GetGuid();
        }

        using var trusted = TrustedKey.FromPem(await File.ReadAllTextAsync(Path.Combine(_folder, "keys", "signing.pub.pem")));
        var verdict = LineageVerifier.VerifyFiles([LineagePath], [trusted]);
        Assert.True(verdict.IsValid, verdict.Error);
        Assert.True(verdict.SignaturesChecked);
        Assert.True(verdict.Checkpoints >= 1);
        var lines = await File.ReadAllLinesAsync(LineagePath);
        Assert.Contains(lines, l => l.Contains(executionId.ToString(), StringComparison.Ordinal) && l.Contains("\"execution_completed\"", StringComparison.Ordinal));
        Assert.Contains("\"checkpoint\"", lines[^1], StringComparison.Ordinal); // closed cleanly: the log ends with its closing checkpoint
    }

    [Theory]
    [InlineData("""{"orderId":"o-1","amount":101}""")]
    [InlineData("""{"orderId":"o-1","amount":-5}""")]
    [InlineData("""{"orderId":"o-1","amount":5,"Amount":5000}""")]
    public async Task Refund_beyond_the_policy_is_403_problem_json(string body)
    {
        await using var factory = Factory();
        using var client = factory.CreateClient();

        var response = await client.SendAsync(Refund(body));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("NotPermitted", problem.GetProperty("reason").GetString());
        Assert.True(Guid.TryParse(problem.GetProperty("executionId").GetString(), out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("demo-someone-else")]
    public async Task Refund_without_a_valid_api_key_is_401(string? apiKey)
    {
        await using var factory = Factory();
        using var client = factory.CreateClient();

        var response = await client.SendAsync(Refund("""{"orderId":"o-1","amount":5}""", apiKey));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
