// AgentToolGuard: a scripted AI-agent loop whose tool calls run only through the governed executor.
// No model is needed: the agent's "plan" is a fixed list of tool calls.
using GovernedExecution.Artifacts;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.DependencyInjection;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Lineage;
using GovernedExecution.Policies.Cedar;

var agent = new EntityReference("Agent", "support-bot");
var lineage = new InMemoryLineageSink();
using var signingKey = SigningKey.Generate();

var executor = new GovernedExecutorBuilder()
    .Configure(o => o.Audience = "agent-tools")
    // The rules are Cedar policies embedded in this program (policies/agent-tools.cedar).
    .UseCedarPolicies(CedarPolicySet.FromEmbeddedResources(typeof(Program).Assembly, "policies/"))
    .UseSigningKey(signingKey)
    .UseTrustedKeys(signingKey.ToTrustedKey())
    .AddLineageSink(lineage)
    .Build();

ExecutionIntent Call(string tool, string resourceType, string resourceId, params (string Key, IntentValue Value)[] args) =>
    new(agent, new EntityReference("Action", tool), new EntityReference(resourceType, resourceId))
    {
        Context = args.ToDictionary(a => a.Key, a => a.Value),
        ArgumentsDigest = ArgumentsDigest.Compute(args.Select(a => KeyValuePair.Create(a.Key, a.Value))),
    };

void Print(string step, string what) => Console.WriteLine($"{step,-34} {what}");

Console.WriteLine("Agent support-bot runs its plan; every tool call goes through the governed executor.\n");

// 1. Permitted: the policy permits, an artifact is minted and verified, the tool runs.
var order = await executor.RunOutcomeAsync(Call("lookup_order", "Order", "A-1001"), (ctx, ct) => ValueTask.FromResult("order A-1001: 2 items, 59.90 EUR"));
Print("1. lookup_order A-1001", order.IsSuccess ? $"RAN      -> {order.Result}" : $"DENIED   -> {order.Denial}");

// 2. Denied by a forbid: the tool never runs.
var deleted = await executor.RunOutcomeAsync(Call("delete_customer", "Customer", "C-77"), (ctx, ct) => ValueTask.FromResult("customer deleted"));
Print("2. delete_customer C-77", deleted.IsSuccess ? $"RAN      -> {deleted.Result}" : $"DENIED   -> {deleted.Denial!.Reason} by {string.Join(", ", deleted.Denial.DeterminingPolicies)}");

// 3. Not permitted: no policy permits a bulk export.
var export = await executor.RunOutcomeAsync(Call("export_all_data", "Database", "crm"), (ctx, ct) => ValueTask.FromResult("exported"));
Print("3. export_all_data crm", export.IsSuccess ? $"RAN      -> {export.Result}" : $"DENIED   -> {export.Denial!.Reason}");

// 4. Tampered artifact: an artifact minted for a 50 EUR refund, altered in transit, is rejected.
var refund50 = Call("refund", "Order", "A-1001", ("amount", 50L));
var issued = await executor.IssueAsync(refund50);
var bytes = issued.Artifact!.Encoded.ToArray();
bytes[^10] ^= 0xFF; // flip bits inside the signature
var tampered = await executor.RunOutcomeAsync(refund50, AuthorizationArtifact.FromBytes(bytes), (ctx, ct) => ValueTask.FromResult("refunded"));
Print("4. refund (tampered artifact)", tampered.IsSuccess ? $"RAN      -> {tampered.Result}" : $"REJECTED -> {tampered.Denial!.Reason}: {tampered.Denial.Detail}");

// 5. Nested: a permitted refund whose tool notifies the customer through a nested governed call.
var nested = await executor.RunOutcomeAsync(Call("refund", "Order", "A-1001", ("amount", 20L)), async (ctx, ct) =>
{
    var notice = await executor.RunAsync(Call("notify_customer", "Customer", "C-12"), (inner, ct2) =>
        ValueTask.FromResult($"notified (execution {inner.ExecutionId:N}, parent {inner.ParentExecutionId:N})"), ct);
    return "refunded 20 EUR; " + notice;
});
Print("5. refund 20 + nested notify", nested.IsSuccess ? $"RAN      -> {nested.Result}" : $"DENIED   -> {nested.Denial}");

// The lineage: every phase of every call, hash chained; verified from the bytes alone.
var verification = lineage.Verify();
Console.WriteLine();
Console.WriteLine($"lineage: {verification.Records} records, chain {(verification.IsValid ? "VERIFIED" : "BROKEN: " + verification.Error)}");
Console.WriteLine($"lineage head: {verification.HeadHash}");
return verification.IsValid && order.IsSuccess && deleted.IsDenied && export.IsDenied && tampered.IsDenied && nested.IsSuccess ? 0 : 1;
