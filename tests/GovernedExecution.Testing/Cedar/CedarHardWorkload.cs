using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GovernedExecution.Policies.Cedar;

namespace GovernedExecution.Testing.Cedar;

/// <summary>
/// A seeded policy workload harder than the benchmarks' first one: users five group levels deep (groups form a DAG),
/// documents in three folder levels, actions in action groups, a quarter of the policies <c>forbid</c>, conditions on
/// principal, resource and a context of four attributes (<c>mfa</c>, <c>risk</c>, <c>channel</c>, <c>hour</c>), and
/// requests chosen so that two or three policies are satisfied by each. The same seed and size give the same text on
/// every machine (<see cref="Random"/> with a seed is stable), checked through <see cref="Digest"/> against the
/// official engine's recorded decisions (<see cref="CedarHardWorkloadDecisions"/>).
/// </summary>
public sealed class CedarHardWorkload
{
    /// <summary>The seed of the committed workloads.</summary>
    public const int DefaultSeed = 18_005;

    /// <summary>Requests per workload.</summary>
    public const int RequestCount = 64;

    private static readonly string[] Actions = ["view", "comment", "download", "edit", "share", "delete", "approve", "export"];
    private static readonly string[] ReadActions = ["view", "comment", "download"];
    private static readonly string[] WriteActions = ["edit", "share", "delete"];
    private static readonly string[] AdminActions = ["approve", "export", "delete"];
    private static readonly string[] Channels = ["web", "api", "mobile", "batch"];

    private readonly Random _random;
    private readonly List<string>[] _groups = new List<string>[5];
    private readonly Dictionary<string, List<string>> _groupChildren = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _groupUsers = new(StringComparer.Ordinal);
    private readonly List<string>[] _folders = new List<string>[3];
    private readonly Dictionary<string, List<string>> _folderChildren = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _folderDocuments = new(StringComparer.Ordinal);
    private readonly List<string> _users = [];
    private readonly List<string> _documents = [];
    private readonly List<(string Principal, string Action, string Resource)> _scopes = [];

    /// <summary>Generates the workload.</summary>
    /// <param name="policies">The number of policies.</param>
    /// <param name="seed">The seed.</param>
    public CedarHardWorkload(int policies, int seed = DefaultSeed)
    {
        PolicyCount = policies;
        Seed = seed;
        _random = new Random(seed);
        var entities = new JsonArray();
        BuildGroups(policies, entities);
        BuildUsers(policies, entities);
        BuildFolders(policies, entities);
        BuildDocuments(policies, entities);
        BuildActions(entities);
        EntitiesJson = entities.ToJsonString();

        var text = new StringBuilder();
        for (var p = 0; p < policies; p++)
        {
            text.Append(p % 4 == 3 ? Forbid() : Permit()).Append("\n\n");
        }

        PolicyText = text.ToString();
        BuildRequests();
        Digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(PolicyText + "\n" + EntitiesJson + "\n" + RequestsJson().ToJsonString())));
    }

    /// <summary>Gets the name of the workload, <c>hard-N</c>.</summary>
    public string Name => "hard-" + PolicyCount.ToString(CultureInfo.InvariantCulture);

    /// <summary>Gets the number of policies.</summary>
    public int PolicyCount { get; }

    /// <summary>Gets the seed.</summary>
    public int Seed { get; }

    /// <summary>Gets the policies as Cedar text (ids <c>policy0</c>, <c>policy1</c>, ... in text order).</summary>
    public string PolicyText { get; }

    /// <summary>Gets the entities in Cedar's entity JSON.</summary>
    public string EntitiesJson { get; }

    /// <summary>Gets the requests.</summary>
    public List<CedarWorkloadRequest> Requests { get; } = [];

    /// <summary>Gets the SHA-256 (hex) of the policies, entities and requests, which the recorded decisions name.</summary>
    public string Digest { get; }

    /// <summary>Gets the requests in the official engine oracle's form.</summary>
    /// <returns>The requests.</returns>
    public JsonArray RequestsJson() => new([.. Requests.Select(r => (JsonNode)r.ToJson())]);

    /// <summary>Gets the workload as one test of tests/interop/cedar-authorize-oracle.mjs's batch.</summary>
    /// <returns>The test.</returns>
    public JsonObject ToOracleTest() => new()
    {
        ["name"] = Name,
        ["policies"] = PolicyText,
        ["entities"] = JsonNode.Parse(EntitiesJson),
        ["requests"] = RequestsJson(),
    };

    private void BuildGroups(int policies, JsonArray entities)
    {
        var leaves = Math.Max(16, policies / 3);
        for (var level = 0; level < 5; level++)
        {
            _groups[level] = [];
            var count = Math.Max(2, leaves >> (4 - level));
            for (var i = 0; i < count; i++)
            {
                var id = $"g{level}_{i}";
                _groups[level].Add(id);
                _groupChildren[id] = [];
                _groupUsers[id] = [];
                var parents = new JsonArray();
                if (level > 0)
                {
                    var above = _groups[level - 1];
                    var first = above[_random.Next(above.Count)];
                    AddParent(parents, "Group", first);
                    _groupChildren[first].Add(id);
                    if (_random.Next(5) == 0)
                    {
                        var second = above[_random.Next(above.Count)];
                        if (second != first)
                        {
                            AddParent(parents, "Group", second);
                            _groupChildren[second].Add(id);
                        }
                    }
                }

                entities.Add(Entity("Group", id, new JsonObject { ["level"] = level }, parents));
            }
        }
    }

    private void BuildUsers(int policies, JsonArray entities)
    {
        var count = Math.Max(64, policies / 2);
        for (var u = 0; u < count; u++)
        {
            var id = $"u{u}";
            _users.Add(id);
            var parents = new JsonArray();
            var leaf = _groups[4][_random.Next(_groups[4].Count)];
            AddParent(parents, "Group", leaf);
            _groupUsers[leaf].Add(id);
            if (_random.Next(4) == 0)
            {
                var other = _groups[4][_random.Next(_groups[4].Count)];
                if (other != leaf)
                {
                    AddParent(parents, "Group", other);
                    _groupUsers[other].Add(id);
                }
            }

            entities.Add(Entity("User", id, new JsonObject
            {
                ["dept"] = "d" + _random.Next(5).ToString(CultureInfo.InvariantCulture),
                ["level"] = _random.Next(10),
                ["clearance"] = _random.Next(6),
                ["email"] = id + "@example.com",
            }, parents));
        }
    }

    private void BuildFolders(int policies, JsonArray entities)
    {
        var top = Math.Max(2, policies / 50);
        for (var level = 0; level < 3; level++)
        {
            _folders[level] = [];
            var count = top * (level == 0 ? 1 : level == 1 ? 3 : 9);
            for (var i = 0; i < count; i++)
            {
                var id = $"f{level}_{i}";
                _folders[level].Add(id);
                _folderChildren[id] = [];
                _folderDocuments[id] = [];
                var parents = new JsonArray();
                if (level > 0)
                {
                    var parent = _folders[level - 1][i / 3];
                    AddParent(parents, "Folder", parent);
                    _folderChildren[parent].Add(id);
                }

                entities.Add(Entity("Folder", id, new JsonObject { ["level"] = level }, parents));
            }
        }
    }

    private void BuildDocuments(int policies, JsonArray entities)
    {
        var count = Math.Max(128, policies);
        for (var d = 0; d < count; d++)
        {
            var id = $"doc{d}";
            _documents.Add(id);
            var folder = _folders[2][_random.Next(_folders[2].Count)];
            _folderDocuments[folder].Add(id);
            var parents = new JsonArray();
            AddParent(parents, "Folder", folder);
            entities.Add(Entity("Document", id, new JsonObject
            {
                ["owner"] = new JsonObject { ["__entity"] = new JsonObject { ["type"] = "User", ["id"] = _users[_random.Next(_users.Count)] } },
                ["classification"] = _random.Next(6),
                ["project"] = "p" + _random.Next(20).ToString(CultureInfo.InvariantCulture),
                ["size"] = _random.Next(1, 5_000_000),
            }, parents));
        }
    }

    private static void BuildActions(JsonArray entities)
    {
        foreach (var group in new[] { "read", "write", "admin" })
        {
            entities.Add(Entity("Action", group, [], []));
        }

        foreach (var action in Actions)
        {
            var parents = new JsonArray();
            foreach (var (group, members) in new[] { ("read", ReadActions), ("write", WriteActions), ("admin", AdminActions) })
            {
                if (members.Contains(action))
                {
                    AddParent(parents, "Action", group);
                }
            }

            entities.Add(Entity("Action", action, [], parents));
        }
    }

    private string Permit()
    {
        var group = RandomGroup();
        var folder = RandomFolder();
        switch (_random.Next(5))
        {
            case 0:
                {
                    var action = Pick(ReadActions);
                    _scopes.Add(($"in Group::\"{group}\"", action, $"in Folder::\"{folder}\""));
                    return $"permit (principal in Group::\"{group}\", action == Action::\"{action}\", resource in Folder::\"{folder}\")\nwhen {{ context.risk < {40 + _random.Next(60)} && [\"web\", \"mobile\"].contains(context.channel) }};";
                }

            case 1:
                {
                    var a = Pick(WriteActions);
                    var b = Pick(Actions);
                    _scopes.Add(($"in Group::\"{group}\"", a, "is Document"));
                    return $"permit (principal in Group::\"{group}\", action in [Action::\"{a}\", Action::\"{b}\"], resource is Document)\nwhen {{ resource.classification <= principal.clearance && context.mfa }};";
                }

            case 2:
                {
                    var dept = "d" + _random.Next(5).ToString(CultureInfo.InvariantCulture);
                    _scopes.Add(("any", "read", $"in Folder::\"{folder}\""));
                    return $"permit (principal, action in Action::\"read\", resource in Folder::\"{folder}\")\nwhen {{ principal.dept == \"{dept}\" && context.hour >= {6 + _random.Next(4)} && context.hour < {16 + _random.Next(6)} }};";
                }

            case 3:
                {
                    var action = Pick(Actions);
                    _scopes.Add(($"in Group::\"{group}\"", action, "any"));
                    return $"permit (principal in Group::\"{group}\", action == Action::\"{action}\", resource)\nwhen {{ resource has owner && resource.owner == principal }};";
                }

            default:
                {
                    _scopes.Add(($"in Group::\"{group}\"", "write", $"in Folder::\"{folder}\""));
                    return $"permit (principal is User in Group::\"{group}\", action in Action::\"write\", resource is Document in Folder::\"{folder}\")\nwhen {{ principal.level + {_random.Next(3)} >= {_random.Next(6)} && resource.size < {1_000_000 * (1 + _random.Next(5))} && principal.email like \"*@example.com\" }}\nunless {{ context.risk > {70 + _random.Next(30)} }};";
                }
        }
    }

    private string Forbid()
    {
        var group = RandomGroup();
        var folder = RandomFolder();
        switch (_random.Next(3))
        {
            case 0:
                {
                    var action = Pick(WriteActions);
                    _scopes.Add(($"in Group::\"{group}\"", action, $"in Folder::\"{folder}\""));
                    return $"forbid (principal in Group::\"{group}\", action == Action::\"{action}\", resource in Folder::\"{folder}\")\nunless {{ context.mfa }};";
                }

            case 1:
                _scopes.Add(("any", "write", "is Document"));
                return $"forbid (principal, action in Action::\"write\", resource is Document)\nwhen {{ resource.classification > {3 + _random.Next(3)} && context.risk > {80 + _random.Next(20)} && context.channel != \"web\" }};";
            default:
                _scopes.Add(("is User", "admin", $"in Folder::\"{folder}\""));
                return $"forbid (principal is User, action in Action::\"admin\", resource in Folder::\"{folder}\")\nwhen {{ principal.level < {1 + _random.Next(3)} || context.hour < {1 + _random.Next(5)} }};";
        }
    }

    private void BuildRequests()
    {
        var set = CedarPolicySet.Parse(PolicyText);
        var entities = CedarEntities.ParseJson(EntitiesJson);
        var policies = set.Policies.OrderBy(p => int.Parse(p.Id.AsSpan("policy".Length), CultureInfo.InvariantCulture)).ToArray();
        var attempts = 0;
        while (Requests.Count < RequestCount)
        {
            if (++attempts > 200_000)
            {
                throw new InvalidOperationException("the workload generator found too few requests that satisfy two or three policies");
            }

            var request = TargetedRequest(policies.Length);
            var request2 = CedarRequest.Create(request.PrincipalText, request.ActionText, request.ResourceText, request.ContextJson);
            var env = new EvalEnv(request2.Principal, request2.Action, request2.Resource, request2.Context, entities.Store);
            var satisfied = 0;
            foreach (var p in policies)
            {
                try
                {
                    satisfied += p.Evaluate(env) ? 1 : 0;
                }
                catch (CedarEvaluationException)
                {
                    // An erroring policy is not satisfied.
                }
            }

            if (satisfied is 2 or 3)
            {
                Requests.Add(request);
            }
        }
    }

    private CedarWorkloadRequest TargetedRequest(int policyCount)
    {
        var (principal, action, resource) = _scopes[_random.Next(policyCount)];
        var user = principal.StartsWith("in Group::", StringComparison.Ordinal) ? UserUnder(Quoted(principal)) : _users[_random.Next(_users.Count)];
        var act = action switch
        {
            "read" => Pick(ReadActions),
            "write" => Pick(WriteActions),
            "admin" => Pick(AdminActions),
            _ => action,
        };
        var doc = resource.StartsWith("in Folder::", StringComparison.Ordinal) ? DocumentUnder(Quoted(resource)) : _documents[_random.Next(_documents.Count)];
        doc ??= _documents[_random.Next(_documents.Count)];
        user ??= _users[_random.Next(_users.Count)];
        var resourceText = _random.Next(10) == 0 ? $"Folder::\"{RandomFolder()}\"" : $"Document::\"{doc}\"";
        return new CedarWorkloadRequest(
            $"User::\"{user}\"",
            $"Action::\"{act}\"",
            resourceText,
            _random.Next(3) != 0,
            _random.Next(100),
            Pick(Channels),
            _random.Next(24));
    }

    private string? UserUnder(string group)
    {
        // A random walk down the DAG to a leaf, then one of its users.
        var at = group;
        while (_groupChildren.TryGetValue(at, out var children) && children.Count > 0)
        {
            at = children[_random.Next(children.Count)];
        }

        var users = _groupUsers[at];
        return users.Count == 0 ? null : users[_random.Next(users.Count)];
    }

    private string? DocumentUnder(string folder)
    {
        var at = folder;
        while (_folderChildren.TryGetValue(at, out var children) && children.Count > 0)
        {
            at = children[_random.Next(children.Count)];
        }

        var docs = _folderDocuments[at];
        return docs.Count == 0 ? null : docs[_random.Next(docs.Count)];
    }

    private string RandomGroup()
    {
        var level = _random.Next(5);
        return _groups[level][_random.Next(_groups[level].Count)];
    }

    private string RandomFolder()
    {
        var level = _random.Next(3);
        return _folders[level][_random.Next(_folders[level].Count)];
    }

    private string Pick(string[] items) => items[_random.Next(items.Length)];

    private static string Quoted(string scope)
    {
        var start = scope.IndexOf('"', StringComparison.Ordinal) + 1;
        return scope[start..scope.IndexOf('"', start)];
    }

    private static void AddParent(JsonArray parents, string type, string id) => parents.Add(new JsonObject { ["type"] = type, ["id"] = id });

    private static JsonObject Entity(string type, string id, JsonObject attrs, JsonArray parents) => new()
    {
        ["uid"] = new JsonObject { ["type"] = type, ["id"] = id },
        ["attrs"] = attrs,
        ["parents"] = parents,
    };
}

/// <summary>One request of a <see cref="CedarHardWorkload"/>.</summary>
/// <param name="PrincipalText">The principal, in Cedar syntax.</param>
/// <param name="ActionText">The action, in Cedar syntax.</param>
/// <param name="ResourceText">The resource, in Cedar syntax.</param>
/// <param name="Mfa">The context's <c>mfa</c>.</param>
/// <param name="Risk">The context's <c>risk</c>.</param>
/// <param name="Channel">The context's <c>channel</c>.</param>
/// <param name="Hour">The context's <c>hour</c>.</param>
public sealed record CedarWorkloadRequest(string PrincipalText, string ActionText, string ResourceText, bool Mfa, long Risk, string Channel, long Hour)
{
    /// <summary>Gets the context as JSON.</summary>
    public string ContextJson => Context().ToJsonString();

    /// <summary>Gets the request in the oracle's form (uids as <c>{type, id}</c>).</summary>
    /// <returns>The JSON object.</returns>
    public JsonObject ToJson() => new()
    {
        ["principal"] = Uid(PrincipalText),
        ["action"] = Uid(ActionText),
        ["resource"] = Uid(ResourceText),
        ["context"] = Context(),
    };

    private JsonObject Context() => new() { ["mfa"] = Mfa, ["risk"] = Risk, ["channel"] = Channel, ["hour"] = Hour };

    private static JsonObject Uid(string text)
    {
        var sep = text.IndexOf("::", StringComparison.Ordinal);
        return new JsonObject { ["type"] = text[..sep], ["id"] = text[(sep + 3)..^1] };
    }
}
