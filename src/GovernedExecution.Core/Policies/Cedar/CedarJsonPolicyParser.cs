namespace GovernedExecution.Policies.Cedar;

/// <summary>Reads Cedar's JSON policy format (EST) into the same model as the text parser.</summary>
internal static class CedarJsonPolicyParser
{
    public static List<CedarPolicy> ParsePolicySet(string json, string source)
    {
        _ = json;
        throw new CedarParseException([new CedarDiagnostic(source, 0, 0, "JSON policies are not supported yet")]);
    }
}
