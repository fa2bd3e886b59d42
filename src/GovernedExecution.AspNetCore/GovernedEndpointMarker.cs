namespace GovernedExecution.AspNetCore;

/// <summary>Endpoint metadata saying that the governed endpoint filter is installed (a minimal API endpoint carrying <see cref="GovernedAttribute"/> without it would run ungoverned).</summary>
internal sealed class GovernedEndpointMarker
{
    public static GovernedEndpointMarker Instance { get; } = new();
}
