// AgentToolGuard: an AI agent whose tools run only through the governed executor.
// No model is needed: a scripted model follows a fixed plan of tool calls through Microsoft.Extensions.AI's
// FunctionInvokingChatClient, exactly as a real model's calls would flow.
//
//   dotnet run --project samples/AgentToolGuard                      (the finance approver says yes)
//   dotnet run --project samples/AgentToolGuard -- --refuse-approval  (the finance approver says no)
//   govexec replay LINEAGE.jsonl --policies samples/AgentToolGuard/policies  (every decision decided again: all same)
//   dotnet run --project samples/AgentToolGuard -- --out DIR          (the lineage and the public key in DIR, for
//                                                                      'govexec console DIR/*.jsonl --trust DIR/signing.pub.pem')
using AgentToolGuard;
using GovernedExecution.Approvals;
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Extensions.AI;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;
using Microsoft.Extensions.AI;

var refuseApproval = args.Contains("--refuse-approval");
var outAt = Array.IndexOf(args, "--out");
var folder = outAt >= 0 && outAt + 1 < args.Length ? Path.GetFullPath(args[outAt + 1]) : Path.Combine(AppContext.BaseDirectory, "agent-run");
Directory.CreateDirectory(folder);
var lineageAt = Array.IndexOf(args, "--lineage"); // where to write the log (a fresh file), for `govexec replay` tests
var lineagePath = lineageAt >= 0 && lineageAt + 1 < args.Length ? args[lineageAt + 1] : Path.Combine(folder, $"lineage-{DateTime.UtcNow:yyyyMMdd-HHmmss}.jsonl");

using var signingKey = SigningKey.Generate();
using var trustedKey = signingKey.ToTrustedKey();
if (outAt >= 0)
{
    File.WriteAllText(Path.Combine(folder, "signing.pub.pem"), trustedKey.ExportPublicKeyPem());
}

var lineage = FileLineageSink.Open(new FileLineageSinkOptions { Path = lineagePath, CheckpointKey = signingKey, CheckpointEveryRecords = 16 });

var executor = new GovernedExecutorBuilder()
    .Configure(o =>
    {
        o.Audience = "agent-tools";
        o.Lineage.RecordEntities = true; // each decision's inputs go to lineage: `govexec replay LOG --policies samples/AgentToolGuard/policies`
    })
    .UseCedarPolicies(CedarPolicySet.FromEmbeddedResources(typeof(Story).Assembly, "policies/")) // policies/agent-tools.cedar
    .UseSigningKey(signingKey)
    .UseTrustedKeys(trustedKey)
    .UseApprovalProvider(new DelegateApprovalProvider((request, ct) =>
    {
        Story.Line($"ASKED    finance to approve {request.Intent.Action.Id} on {request.Intent.Resource} (policy {request.PolicyId})");
        return ValueTask.FromResult(refuseApproval
            ? ApprovalDecision.Refuse(request, "carol@finance", "over the monthly budget")
            : ApprovalDecision.Approve(request, "carol@finance", DateTimeOffset.UtcNow.AddMinutes(5)));
    }))
    .AddLineageSink(lineage) // durable: every record is on disk before the tool runs
    .Build();

// The agent's tools. The nested call inside refund is governed too: it records refund as its parent.
AIFunction notifyCustomer = null!;
var tools = new List<AIFunction>
{
    AIFunctionFactory.Create((string order_id) => { Story.ToolRuns($"lookup_order {order_id}: 2 items, 59.90 EUR"); return "2 items, 59.90 EUR"; }, "lookup_order"),
    AIFunctionFactory.Create((string customer_id) => { Story.ToolRuns($"delete_customer {customer_id}"); return "deleted"; }, "delete_customer"),
    AIFunctionFactory.Create(() => { Story.ToolRuns("export_all_data"); return "exported"; }, "export_all_data"),
    AIFunctionFactory.Create(async (string order_id, long amount, string customer_id) =>
    {
        Story.ToolRuns($"refund {amount} EUR on {order_id}");
        var parent = GovernedContext.Current!.ExecutionId;
        await notifyCustomer.InvokeAsync(new AIFunctionArguments { ["customer_id"] = customer_id, ["text"] = $"refunded {amount} EUR" });
        return $"refunded {amount} EUR (execution {parent:N})";
    }, "refund"),
    AIFunctionFactory.Create((string customer_id, string text) =>
    {
        Story.ToolRuns($"notify_customer {customer_id} (nested: parent execution {GovernedContext.Current!.ParentExecutionId:N})");
        return "sent";
    }, "notify_customer"),
};
var options = new GovernedToolOptions
{
    Principal = new EntityReference("Agent", "support-bot"),
    ResourceSelector = call => call.JsonArguments.TryGetValue("order_id", out var order) ? new EntityReference("Order", order.GetString()!)
        : call.JsonArguments.TryGetValue("customer_id", out var customer) ? new EntityReference("Customer", customer.GetString()!)
        : new EntityReference("Database", "crm"),
};
var governed = tools.Select(t => t.WithGovernance(executor, options)).ToList();
notifyCustomer = governed[^1];

Console.WriteLine("Agent support-bot works through its plan. Every tool call goes through the governed executor:");
Console.WriteLine("Cedar policies decide, a signed artifact bound to the exact call is verified, the lineage is written, then the tool runs.");
Story.Title("The agent's plan");
var plan = new List<FunctionCallContent>
{
    new("c1", "lookup_order", new Dictionary<string, object?> { ["order_id"] = "A-1001" }),
    new("c2", "delete_customer", new Dictionary<string, object?> { ["customer_id"] = "C-77" }),
    new("c3", "export_all_data", new Dictionary<string, object?>()),
    new("c4", "refund", new Dictionary<string, object?> { ["order_id"] = "A-1001", ["amount"] = 20L, ["customer_id"] = "C-12" }),
    new("c5", "refund", new Dictionary<string, object?> { ["order_id"] = "A-2002", ["amount"] = 250L, ["customer_id"] = "C-12" }),
};
using var agent = new FunctionInvokingChatClient(new ScriptedModel(plan));
await agent.GetResponseAsync("Help customer C-12 with order A-1001.", new ChatOptions { Tools = [.. governed] });

// An artifact minted by an orchestrator for a 50 EUR refund is altered in transit: the worker refuses it.
Story.Title("A tampered artifact");
var refund50 = GovernedToolIntent.Create(tools[3], new AIFunctionArguments { ["order_id"] = "A-1001", ["amount"] = 50L, ["customer_id"] = "C-12" }, options);
var issued = await executor.IssueAsync(refund50);
var bytes = issued.Artifact!.Encoded.ToArray();
bytes[^10] ^= 0xFF; // flip bits inside the signature
var tampered = await executor.RunOutcomeAsync(refund50, AuthorizationArtifact.FromBytes(bytes), (ctx, ct) => { Story.ToolRuns("refund 50 EUR"); return ValueTask.FromResult(0); });
Story.Line(tampered.IsDenied ? $"REJECTED {tampered.Denial!.Reason}: {tampered.Denial.Detail}" : "the tampered artifact was accepted (this must never happen)");

// The lineage: closed cleanly (a final signed checkpoint), then verified from the file alone.
await lineage.DisposeAsync();
var verdict = LineageVerifier.VerifyFiles([lineagePath], [trustedKey]);
Story.Title("The lineage, verified as `govexec lineage verify` does");
Story.Line($"file        {lineagePath}");
Story.Line($"records     {verdict.Records}");
Story.Line($"checkpoints {verdict.Checkpoints} (signatures {(verdict.SignaturesChecked ? "checked" : "not checked")})");
Story.Line($"verdict     {(verdict.IsValid ? "VALID" : $"INVALID at {verdict.FailedFile}:{verdict.FailedLine}: {verdict.Error}")}");
Story.Line($"head        {verdict.HeadHash}");
return verdict.IsValid && tampered.IsDenied ? 0 : 1;
