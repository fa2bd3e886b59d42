using System.Security.Cryptography;

namespace GovernedExecution.Tests.Cli;

/// <summary>
/// Every command, fed each bad input an auditor may hold in each of its file slots (missing, empty, malformed, a key
/// of the wrong role, 50 MB of random bytes), refuses it with exit code 1 and one line on standard error: never a
/// stack trace, never a verdict.
/// </summary>
public sealed class EveryCommandBadInputTests : IClassFixture<EveryCommandBadInputTests.Inputs>
{
    private readonly Inputs _inputs;

    public EveryCommandBadInputTests(Inputs inputs)
    {
        _inputs = inputs;
    }

    /// <summary>The commands, each with its file slots in braces; the other slots get good files.</summary>
    private static readonly string[] Commands =
    [
        "policy validate {policies}",
        "authorize --policies {policies} --request {request}",
        "authorize --policies {good-policies} --entities {entities} --request {request}",
        "conformance cedar {corpus}",
        "artifact inspect {artifact}",
        "artifact verify {artifact} --trust {trust} --request {request} --audience w --any-policy-set",
        "artifact verify {good-artifact} --trust {good-trust} --request {good-request} --audience w --policies {policies}",
        "artifact mint --key {key} --policies {policies} --request {request} --out {out}",
        "lineage verify {log} --trust {trust}",
        "lineage prove {log} --sequence 1 --trust {trust}",
        "lineage check-proof {proof} --trust {trust}",
        "lineage show {log}",
        "lineage seal {log} --key {key}",
        "replay {good-log} --policies {policies}",
        "replay {good-log} --policies {good-policies} --entities {entities}",
    ];

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var command in Commands)
        {
            foreach (var slot in Slots(command).Where(s => !s.StartsWith("good-", StringComparison.Ordinal) && s != "out"))
            {
                foreach (var input in new[] { "missing", "empty", "malformed", "random" })
                {
                    data.Add(command, slot, input);
                }

                if (slot is "key" or "trust")
                {
                    data.Add(command, slot, "wrong role");
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_input_is_exit_1_with_one_line_and_no_stack_trace(string command, string slot, string input)
    {
        var args = command.Split(' ').Select(a => a.StartsWith('{') ? _inputs.Path(a[1..^1], a[1..^1] == slot ? input : null) : a).ToArray();

        var run = await Govexec.InProcessAsync(args);

        run.AssertNoCrash();
        if (command.StartsWith("artifact verify {artifact}", StringComparison.Ordinal) && slot == "artifact" && input is "malformed" or "random")
        {
            // A malformed artifact is a verdict of its own (docs/cli.md): Invalid, exit 10.
            Assert.True(run.Code == 10, run.ToString());
            Assert.Contains("\"verdict\": \"Invalid\"", run.Output, StringComparison.Ordinal);
            return;
        }

        if (command.StartsWith("lineage seal", StringComparison.Ordinal) && slot == "log" && input == "malformed")
        {
            // A log whose last line is complete but damaged is what seal is for: it records the damage.
            Assert.True(run.Code == 0, run.ToString());
            Assert.StartsWith("sealed: ", run.Output, StringComparison.Ordinal);
            return;
        }

        Assert.True(run.Code == 1, run.ToString());
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, run.ToString());
        Assert.True(lines[0].Length < 1000, run.ToString());
        if (input == "wrong role")
        {
            Assert.Contains(slot == "trust" ? "private key" : "public key", lines[0], StringComparison.Ordinal);
        }
    }

    private static IEnumerable<string> Slots(string command) => command.Split(' ').Where(a => a.StartsWith('{')).Select(a => a[1..^1]);

    /// <summary>Good files for every slot, and the bad ones (the 50 MB of random bytes written once).</summary>
    public sealed class Inputs : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("govexec-bad-input-").FullName;
        private readonly Lineage.LineageTestLog _log = new();
        private readonly string _random;
        private int _next;

        public Inputs()
        {
            _random = System.IO.Path.Combine(_dir, "random.bin");
            using (var file = File.Create(_random))
            {
                var buffer = new byte[1 << 20];
                for (var i = 0; i < 50; i++)
                {
                    RandomNumberGenerator.Fill(buffer);
                    file.Write(buffer);
                }
            }

            _log.WriteAsync(6, o => o.CheckpointEveryRecords = 4).GetAwaiter().GetResult();
            Write("trust", _log.Trusted[0].ExportPublicKeyPem());
            _log.Key.ExportPrivateKeyPemToFile(System.IO.Path.Combine(_dir, "key"));
            Write("policies", "permit (principal, action, resource);");
            Write("entities", "[]");
            Write("request", """{"principal":{"type":"Agent","id":"bot"},"action":{"type":"Action","id":"read"},"resource":{"type":"Ticket","id":"t-1"}}""");
            var corpus = Directory.CreateDirectory(System.IO.Path.Combine(_dir, "corpus")).FullName;
            File.WriteAllText(System.IO.Path.Combine(corpus, "p.cedar"), "permit (principal, action, resource);");
            File.WriteAllText(System.IO.Path.Combine(corpus, "e.json"), "[]");
            File.WriteAllText(System.IO.Path.Combine(corpus, "t.json"), """{"policies":"p.cedar","entities":"e.json","requests":[]}""");
            var mint = Govexec.InProcessAsync("artifact", "mint", "--key", Good("key"), "--policies", Good("policies"), "--request", Good("request"), "--audience", "w", "--out", System.IO.Path.Combine(_dir, "artifact"))
                .GetAwaiter().GetResult();
            Assert.True(mint.Code == 0, mint.ToString());
            var prove = Govexec.InProcessAsync("lineage", "prove", _log.Path, "--sequence", "1", "--trust", Good("trust")).GetAwaiter().GetResult();
            Write("proof", prove.Output);
        }

        public void Dispose()
        {
            _log.Dispose();
            Directory.Delete(_dir, recursive: true);
        }

        /// <summary>The file for <paramref name="slot"/>: the good one, or a new bad one of <paramref name="bad"/>'s kind.</summary>
        internal string Path(string slot, string? bad)
        {
            slot = slot.StartsWith("good-", StringComparison.Ordinal) ? slot[5..] : slot;
            if (slot == "out")
            {
                return System.IO.Path.Combine(_dir, "out-" + Interlocked.Increment(ref _next));
            }

            if (bad is null)
            {
                return Good(slot);
            }

            var path = System.IO.Path.Combine(_dir, $"bad-{Interlocked.Increment(ref _next)}-{slot}");
            switch (bad)
            {
                case "missing":
                    return path;
                case "random" when slot != "corpus":
                    return _random;
                case "random":
                    Directory.CreateDirectory(path);
                    File.Copy(_random, System.IO.Path.Combine(path, "t.json"));
                    return path;
                case "empty" when slot == "corpus":
                    return Directory.CreateDirectory(path).FullName;
                case "empty":
                    File.WriteAllText(path, string.Empty);
                    return path;
                case "wrong role":
                    File.Copy(Good(slot == "trust" ? "key" : "trust"), path);
                    return path;
                default:
                    File.WriteAllText(path, Malformed(slot));
                    if (slot == "corpus")
                    {
                        File.Delete(path);
                        Directory.CreateDirectory(path);
                        File.WriteAllText(System.IO.Path.Combine(path, "t.json"), "{\"policies\": ");
                    }

                    return path;
            }
        }

        private static string Malformed(string slot) => slot switch
        {
            "policies" => "permit (principal, action, resource",
            "key" => "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "trust" => "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "log" => "{\"v\":1,\"log\":\"x\",\"seq\":1}\n",
            "artifact" => "\u00d2\u0084not cose",
            _ => "{\"principal\": ",
        };

        private string Good(string slot) => slot switch
        {
            "log" => _log.Path,
            "corpus" => System.IO.Path.Combine(_dir, "corpus"),
            _ => System.IO.Path.Combine(_dir, slot),
        };

        private void Write(string name, string text) => File.WriteAllText(System.IO.Path.Combine(_dir, name), text);
    }
}
